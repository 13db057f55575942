#include "client/context.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <utility>

namespace regent::client {

struct Context::Hook::State {
  // Hooks run under the mutex, so a Hook's destructor (which takes it) cannot return while its
  // hook runs; hooks therefore must not touch this context (TryCancel on a gRPC call does not).
  std::mutex mu;
  std::condition_variable cv;
  bool cancelled = false;
  uint64_t next_id = 1;
  std::map<uint64_t, std::function<void()>> hooks;
};

Context::Context() : state_(std::make_shared<Hook::State>()) {}

Context Context::with_timeout(Clock::duration timeout) {
  return Context().with_deadline(Clock::now() + timeout);
}

Context Context::with_deadline(Clock::time_point deadline) const {
  Context child = *this;
  if (!child.deadline_ || deadline < *child.deadline_) child.deadline_ = deadline;
  return child;
}

void Context::cancel() const {
  std::lock_guard lock(state_->mu);
  if (state_->cancelled) return;
  state_->cancelled = true;
  for (auto& [id, hook] : state_->hooks) hook();
  state_->hooks.clear();
  state_->cv.notify_all();
}

bool Context::cancelled() const {
  std::lock_guard lock(state_->mu);
  return state_->cancelled;
}

bool Context::sleep_until(Clock::time_point until) const {
  if (deadline_ && *deadline_ < until) until = *deadline_;
  std::unique_lock lock(state_->mu);
  // Waits an hour at a time, so a far `until` (time_point::max()) never overflows a conversion.
  while (!state_->cancelled && Clock::now() < until) {
    state_->cv.wait_until(lock, std::min(until, Clock::now() + std::chrono::hours(1)));
  }
  return state_->cancelled || (deadline_ && Clock::now() >= *deadline_);
}

Context::Hook Context::on_cancel(std::function<void()> hook) const {
  Hook handle;
  std::lock_guard lock(state_->mu);
  if (state_->cancelled) {
    hook();
    return handle;
  }
  handle.state_ = state_;
  handle.id_ = state_->next_id++;
  state_->hooks.emplace(handle.id_, std::move(hook));
  return handle;
}

Context::Hook::Hook(Hook&& other) noexcept
    : state_(std::move(other.state_)), id_(std::exchange(other.id_, 0)) {}

Context::Hook& Context::Hook::operator=(Hook&& other) noexcept {
  if (this != &other) {
    Hook dropped(std::move(*this));
    state_ = std::move(other.state_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

Context::Hook::~Hook() {
  if (!state_) return;
  std::lock_guard lock(state_->mu);
  state_->hooks.erase(id_);
}

}  // namespace regent::client
