#include "server/host/responder.h"

#include <utility>

namespace regent::server {

Responder::Responder() : thread_([this] { run(); }) {}

Responder::~Responder() { stop(); }

void Responder::hand_over(std::vector<Answer>& batch) {
  if (batch.empty()) return;
  bool was_idle = false;
  {
    std::lock_guard lock(mu_);
    was_idle = queue_.empty();
    if (was_idle) {
      queue_.swap(batch);
    } else {
      for (Answer& a : batch) queue_.push_back(std::move(a));
    }
  }
  batch.clear();
  // A thread still busy with the previous batch takes this one when it is done.
  if (was_idle) wake_.notify_one();
}

void Responder::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Responder::run() {
  std::vector<Answer> batch;
  while (true) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // Stopping, and nothing left to answer.
      batch.swap(queue_);
    }
    for (Answer& answer : batch) answer();
    batch.clear();
  }
}

}  // namespace regent::server
