#include "run_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace regent::chaos {

Expected<RunLock, std::string> RunLock::acquire(std::chrono::seconds wait) {
  const char* path = "/run/lock/regent-chaos.lock";
  const int fd = ::open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return unexpected(fmt::format("open {}: {}", path, std::strerror(errno)));
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool said = false;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return unexpected(
          fmt::format("another regent-chaos holds {} (waited {} s)", path, wait.count()));
    }
    if (!said) fmt::print("waiting for another regent-chaos run to end ({})\n", path);
    said = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return RunLock(fd);
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace regent::chaos
