// One harness at a time on a machine: the world's names (kPrefix) and addresses are fixed, and
// cleaning up leftovers is safe only when no other harness is using them.
#pragma once

#include <chrono>
#include <string>

#include "common/expected.h"

namespace regent::chaos {

class RunLock {
 public:
  // Waits up to `wait` for /run/lock/regent-chaos.lock (flock), so that two ctest trees that
  // both run the chaos tests take turns instead of failing.
  static Expected<RunLock, std::string> acquire(std::chrono::seconds wait);
  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace regent::chaos
