// The deadline and cancellation of a client call, in the spirit of Go's context.Context: a
// blocking call (a campaign, a lock, a watch's next event) ends when its Context is cancelled
// from another thread or its deadline passes.
//
// Invariants:
//  - Copies share one cancellation state: cancelling any copy cancels them all, and a context
//    made by with_deadline() from it. Cancellation is permanent.
//  - A hook registered with on_cancel() runs exactly once if cancel() is called while it is
//    registered (at once, on the registering thread, if already cancelled), and never after its
//    Hook is destroyed: destroying a Hook waits for a running hook to return.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace regent::client {

class Context {
 public:
  using Clock = std::chrono::steady_clock;

  // No deadline; cancelled only by cancel().
  Context();
  static Context with_timeout(Clock::duration timeout);

  // Shares this context's cancellation; its deadline is the earlier of this one's and `deadline`.
  Context with_deadline(Clock::time_point deadline) const;
  Context with_timeout_from_now(Clock::duration timeout) const {
    return with_deadline(Clock::now() + timeout);
  }

  void cancel() const;
  bool cancelled() const;
  std::optional<Clock::time_point> deadline() const { return deadline_; }
  bool expired() const { return deadline_ && Clock::now() >= *deadline_; }
  bool done() const { return cancelled() || expired(); }

  // Sleeps until `until` or the deadline, whichever is first, or until cancelled. Returns true if
  // the context is done (cancelled or past its deadline).
  bool sleep_until(Clock::time_point until) const;

  // Unregisters its hook when destroyed (see the invariants).
  class Hook {
   public:
    Hook() = default;
    Hook(Hook&& other) noexcept;
    Hook& operator=(Hook&& other) noexcept;
    Hook(const Hook&) = delete;
    Hook& operator=(const Hook&) = delete;
    ~Hook();

   private:
    friend class Context;
    struct State;
    std::shared_ptr<State> state_;
    uint64_t id_ = 0;
  };
  [[nodiscard]] Hook on_cancel(std::function<void()> hook) const;

 private:
  std::shared_ptr<Hook::State> state_;
  std::optional<Clock::time_point> deadline_;
};

}  // namespace regent::client
