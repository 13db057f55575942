// The unit of concurrency of regent-bench: a reactor is one client (or stream, or the watch
// putter) living on one completion queue.
//
// Invariants:
//  - Every event of a reactor is delivered on its queue's one poller thread, one at a time, so a
//    reactor's own state needs no lock. Only start_at(), stop_at() and retired() are called from
//    elsewhere (the controller), and they touch nothing but the two alarms and atomics.
//  - A completion-queue tag is always a Tag* naming the reactor and which operation completed.
//  - on_start() runs at most once and never after the stop event; on_stop() runs exactly once.
//  - A reactor calls set_finished() only when none of its operations is pending, and starts none
//    afterwards. retired() = started and stopped events seen and finished: from then on the
//    reactor has nothing on its queue and may be destroyed once the pollers stopped.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include <atomic>
#include <chrono>

namespace regent::loadgen {

using Clock = std::chrono::steady_clock;

class Reactor;

struct Tag {
  Reactor* reactor;
  int event;
};

class Reactor {
 public:
  // Events below kFirstEvent are the base class's own.
  static constexpr int kFirstEvent = 2;

  explicit Reactor(grpc::CompletionQueue* cq) : cq_(cq) {}
  virtual ~Reactor() = default;
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Controller side. Each is called at most once per reactor.
  void start_at(Clock::time_point when);
  void stop_at(Clock::time_point when);
  bool stop_requested() const { return stop_set_.load(std::memory_order_acquire); }
  bool retired() const;
  // Done with its work (a total-mode client whose budget ran out), even if not yet stopped.
  bool finished() const { return finished_.load(std::memory_order_acquire); }

  // Poller side.
  void dispatch(int event, bool ok);

 protected:
  grpc::CompletionQueue* cq() const { return cq_; }
  bool stopping() const { return stopping_; }
  void set_finished();

  virtual void on_start() = 0;
  // Must cancel what is pending and call set_finished() once nothing is.
  virtual void on_stop() = 0;
  virtual void on_event(int event, bool ok) = 0;

 private:
  static constexpr int kStartEvent = 0;
  static constexpr int kStopEvent = 1;

  grpc::CompletionQueue* cq_;
  grpc::Alarm start_alarm_;
  grpc::Alarm stop_alarm_;
  Tag start_tag_{this, kStartEvent};
  Tag stop_tag_{this, kStopEvent};
  std::atomic<bool> stop_set_{false};
  std::atomic<bool> start_seen_{false};
  std::atomic<bool> stop_seen_{false};
  std::atomic<bool> finished_{false};
  bool stopping_ = false;  // Poller-owned.
};

}  // namespace regent::loadgen
