#include "loadgen/reactor.h"

#include "common/assert.h"
#include "loadgen/grpc_time.h"

namespace regent::loadgen {

void Reactor::start_at(Clock::time_point when) {
  start_alarm_.Set(cq_, grpc_deadline(when), &start_tag_);
}

void Reactor::stop_at(Clock::time_point when) {
  const bool already = stop_set_.exchange(true, std::memory_order_acq_rel);
  REGENT_ASSERT(!already, "a reactor is stopped once");
  stop_alarm_.Set(cq_, grpc_deadline(when), &stop_tag_);
}

bool Reactor::retired() const {
  return start_seen_.load(std::memory_order_acquire) &&
         stop_seen_.load(std::memory_order_acquire) && finished();
}

void Reactor::set_finished() {
  REGENT_ASSERT(!finished(), "a reactor finishes once");
  finished_.store(true, std::memory_order_release);
}

void Reactor::dispatch(int event, bool ok) {
  switch (event) {
    case kStartEvent:
      REGENT_ASSERT(!start_seen_.load(), "started twice");
      // A reactor stopped before it started has nothing to do (on_stop() finished it).
      if (!stopping_) on_start();
      start_seen_.store(true, std::memory_order_release);
      break;
    case kStopEvent:
      REGENT_ASSERT(!stopping_, "stopped twice");
      stopping_ = true;
      if (!finished()) on_stop();
      stop_seen_.store(true, std::memory_order_release);
      break;
    default:
      REGENT_ASSERT(event >= kFirstEvent, "unknown event {}", event);
      on_event(event, ok);
  }
}

}  // namespace regent::loadgen
