#include "server/auth/password_worker.h"

namespace regent::server {

PasswordWorker::PasswordWorker(size_t max_queued)
    : max_queued_(max_queued), thread_([this] { run(); }) {}

PasswordWorker::~PasswordWorker() { stop(); }

bool PasswordWorker::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (jobs_.size() >= max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void PasswordWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void PasswordWorker::run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // Stopping, and nothing left to answer.
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    lock.lock();
  }
}

}  // namespace regent::server
