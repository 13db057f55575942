#include "disk_fault.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include "process.h"

namespace regent::chaos {

namespace fs = std::filesystem;

namespace {

// The newest by name: both regentd's (<seq>-<index>.wal, <term>-<index>.snap, hex) and etcd's
// (<seq>-<index>.wal, <term>-<index>.snap, 16 hex digits) names sort in writing order within
// one directory.
std::optional<fs::path> newest(const std::string& dir, const std::string& suffix) {
  std::optional<fs::path> best;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const auto& p = it->path();
    if (!it->is_regular_file() || !p.filename().string().ends_with(suffix)) continue;
    if (!best || p.filename().string().size() > best->filename().string().size() ||
        (p.filename().string().size() == best->filename().string().size() &&
         p.filename() > best->filename())) {
      best = p;
    }
  }
  return best;
}

}  // namespace

Expected<std::string, std::string> flip_bit_in_newest(const std::string& data_dir,
                                                      const std::string& suffix, Prng& rng) {
  auto file = newest(data_dir, suffix);
  if (!file) return unexpected(fmt::format("no *{} file under {}", suffix, data_dir));
  const int fd = ::open(file->c_str(), O_RDWR);
  if (fd < 0) return unexpected(fmt::format("open {}: {}", file->string(), std::strerror(errno)));
  // Where the data ends: the last non-zero byte (bounded by the file's size).
  std::vector<char> buf(1 << 20);
  off_t offset = 0, last_nonzero = -1;
  for (;;) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), offset);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[static_cast<size_t>(i)] != 0) last_nonzero = offset + i;
    }
    offset += n;
  }
  if (last_nonzero < 0) {
    ::close(fd);
    return unexpected(fmt::format("{} holds only zeros", file->string()));
  }
  const off_t at = static_cast<off_t>(rng.uniform(static_cast<uint64_t>(last_nonzero) + 1));
  const int bit = static_cast<int>(rng.uniform(8));
  char byte = 0;
  bool ok = ::pread(fd, &byte, 1, at) == 1;
  byte = static_cast<char>(byte ^ (1 << bit));
  ok = ok && ::pwrite(fd, &byte, 1, at) == 1 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    return unexpected(
        fmt::format("flipping a bit of {}: {}", file->string(), std::strerror(errno)));
  return fmt::format("{} byte {} of {} bit {}", file->string(), at, last_nonzero + 1, bit);
}

Expected<void, std::string> copy_dir(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::remove_all(to, ec);
  return run_ok(SpawnSpec{.argv = {"/bin/cp", "-a", from, to}}, std::chrono::seconds(60));
}

}  // namespace regent::chaos
