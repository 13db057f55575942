// A closed-loop client of one unary RPC: it issues a request, waits for the answer, records it,
// and issues the next. After an error it pauses 1 ms first, so that a dead endpoint does not spin
// the CPU. It ends when the budget is spent or when it is stopped; a request still in flight then
// (or answered after the deadline) is cancelled and counted neither way.
//
// Invariants: at most one request in flight; a request and the pause are never pending together.
// With an interval (paced), request n is not sent before time 0 + n * interval.
#pragma once

#include <grpcpp/alarm.h>

#include <memory>
#include <optional>

#include "loadgen/budget.h"
#include "loadgen/reactor.h"
#include "loadgen/recorder.h"
#include "loadgen/unary_call.h"

namespace regent::loadgen {

struct UnaryClientConfig {
  Clock::duration timeout = std::chrono::seconds(10);
  std::optional<Clock::duration> interval;  // Paced: see above. Unset: closed loop.
  Clock::duration error_pause = std::chrono::milliseconds(1);
};

class UnaryClient final : public Reactor {
 public:
  UnaryClient(grpc::CompletionQueue* cq, Recorder* recorder, Budget* budget, const RunClock* clock,
              std::unique_ptr<UnaryCall> call, UnaryClientConfig config);

  UnaryCall* call() const { return call_.get(); }

 private:
  enum Event { kAnswered = kFirstEvent, kResume };

  void on_start() override;
  void on_stop() override;
  void on_event(int event, bool ok) override;

  void next();
  void issue();
  void answered();
  void pause_until(Clock::time_point when);
  void finish_if_idle();

  Recorder* recorder_;
  Budget* budget_;
  const RunClock* clock_;
  std::unique_ptr<UnaryCall> call_;
  UnaryClientConfig config_;

  grpc::Status status_;
  grpc::Alarm pause_;
  Tag answered_tag_{this, kAnswered};
  Tag resume_tag_{this, kResume};
  uint64_t request_ = 0;
  Clock::time_point sent_{};
  bool in_flight_ = false;
  bool paused_ = false;
  bool issue_on_resume_ = false;  // The pause is pacing request_, not backing off.
  bool done_ = false;             // Budget spent or deadline passed.
};

}  // namespace regent::loadgen
