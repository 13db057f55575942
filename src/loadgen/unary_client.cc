#include "loadgen/unary_client.h"

#include "common/assert.h"
#include "loadgen/grpc_time.h"

namespace regent::loadgen {

UnaryClient::UnaryClient(grpc::CompletionQueue* cq, Recorder* recorder, Budget* budget,
                         const RunClock* clock, std::unique_ptr<UnaryCall> call,
                         UnaryClientConfig config)
    : Reactor(cq),
      recorder_(recorder),
      budget_(budget),
      clock_(clock),
      call_(std::move(call)),
      config_(config) {
  REGENT_ASSERT(call_ != nullptr);
}

void UnaryClient::on_start() { next(); }

void UnaryClient::on_stop() {
  if (in_flight_) call_->cancel();
  if (paused_) pause_.Cancel();
  finish_if_idle();
}

void UnaryClient::on_event(int event, bool ok) {
  switch (event) {
    case kAnswered:
      REGENT_ASSERT(in_flight_ && ok, "an answer without a request in flight");
      in_flight_ = false;
      answered();
      break;
    case kResume:
      REGENT_ASSERT(paused_ && !in_flight_);
      paused_ = false;
      if (stopping()) {
        finish_if_idle();
      } else if (issue_on_resume_) {
        issue_on_resume_ = false;
        issue();
      } else {
        next();
      }
      break;
    default:
      REGENT_PANIC("unknown event {}", event);
  }
}

void UnaryClient::next() {
  REGENT_ASSERT(!in_flight_ && !paused_ && !stopping());
  const auto number = budget_->take();
  const auto now = Clock::now();
  if (!number || clock_->past_deadline(now)) {
    done_ = true;
    finish_if_idle();
    return;
  }
  request_ = *number;
  if (config_.interval) {
    const auto due = clock_->start + *config_.interval * static_cast<int64_t>(request_);
    if (due > now) {
      issue_on_resume_ = true;
      pause_until(due);
      return;
    }
  }
  issue();
}

void UnaryClient::issue() {
  REGENT_ASSERT(!in_flight_ && !paused_);
  sent_ = Clock::now();
  in_flight_ = true;
  call_->start(request_, sent_ + config_.timeout, cq(), &status_, &answered_tag_);
}

void UnaryClient::answered() {
  const auto now = Clock::now();
  if (stopping() || clock_->past_deadline(now)) {
    // Cut off by the end of the run: neither a sample nor an error.
    done_ = true;
    finish_if_idle();
    return;
  }
  std::optional<std::string> refused;
  if (status_.ok()) refused = call_->check_reply();
  const bool ok = status_.ok() && !refused;
  call_->completed(request_, ok);
  if (ok) {
    recorder_->success(now - sent_, now);
    next();
    return;
  }
  if (refused) {
    recorder_->failure(*refused, now);
  } else {
    recorder_->failure(status_, now);
  }
  pause_until(now + config_.error_pause);
}

void UnaryClient::pause_until(Clock::time_point when) {
  REGENT_ASSERT(!paused_ && !in_flight_);
  paused_ = true;
  pause_.Set(cq(), grpc_deadline(when), &resume_tag_);
}

void UnaryClient::finish_if_idle() {
  if (!in_flight_ && !paused_ && (done_ || stopping()) && !finished()) set_finished();
}

}  // namespace regent::loadgen
