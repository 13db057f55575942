// Where bcrypt runs: its cost is the point (some 50 ms of CPU per check at etcd's cost 10), so it
// must not run on gRPC's callback threads, which every other call shares, nor without bound.
// One thread takes the jobs in order from a queue of bounded length; a job that finds the queue
// full is refused at once, so a flood of Authenticate or UserAdd calls costs the member at most
// one core and never delays a put or a read.
//
// Invariants: every job submitted is run exactly once unless submit() returned false; stop()
// (and the destructor) runs the jobs still queued before joining the thread, so no caller
// waits forever.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace regent::server {

class PasswordWorker {
 public:
  explicit PasswordWorker(size_t max_queued = 64);
  ~PasswordWorker();
  PasswordWorker(const PasswordWorker&) = delete;
  PasswordWorker& operator=(const PasswordWorker&) = delete;

  // False, and `job` not run, when max_queued jobs wait already.
  bool submit(std::function<void()> job);
  void stop();

 private:
  void run();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace regent::server
