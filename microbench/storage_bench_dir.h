// Where the storage benchmarks write: $REGENT_BENCH_DIR, or bench-data/ in the build tree, on the
// disk a log would use (/tmp may be a tmpfs that makes fdatasync free); one fresh directory per
// benchmark run, removed afterwards.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#ifndef REGENT_BENCH_DEFAULT_DIR
#define REGENT_BENCH_DEFAULT_DIR "bench-data"
#endif

namespace regent::storage {

inline std::string bench_root() {
  const char* dir = std::getenv("REGENT_BENCH_DIR");
  return dir != nullptr && *dir != '\0' ? dir : REGENT_BENCH_DEFAULT_DIR;
}

// The mount holding path, from /proc/self/mounts: "/dev/vda on / (ext4)".
inline std::string describe_mount(const std::string& path) {
  std::error_code ec;
  const std::string real = std::filesystem::weakly_canonical(path, ec).string();
  std::ifstream mounts("/proc/self/mounts");
  std::string line, best_point, best;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string source, point, type;
    fields >> source >> point >> type;
    const bool inside = real.compare(0, point.size(), point) == 0 &&
                        (point == "/" || real.size() == point.size() || real[point.size()] == '/');
    if (inside && point.size() >= best_point.size()) {
      best_point = point;
      best = source + " on " + point + " (" + type + ")";
    }
  }
  return best.empty() ? "unknown file system" : best;
}

// A fresh, empty directory under the root for one benchmark run, removed afterwards.
class ScratchDir {
 public:
  explicit ScratchDir(const char* what) {
    static std::atomic<int> next{0};
    path_ =
        bench_root() + "/" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(next++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace regent::storage
