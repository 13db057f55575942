#include "loadgen/lease_client.h"

#include <fmt/format.h>

#include "common/assert.h"
#include "loadgen/grpc_time.h"
#include "loadgen/status_text.h"

namespace regent::loadgen {

LeaseClient::LeaseClient(grpc::CompletionQueue* cq, Recorder* recorder, Budget* budget,
                         const RunClock* clock, const std::shared_ptr<grpc::Channel>& channel,
                         LeaseClientConfig config)
    : Reactor(cq),
      recorder_(recorder),
      budget_(budget),
      clock_(clock),
      stub_(etcdserverpb::Lease::NewStub(channel)),
      config_(config) {}

void LeaseClient::on_start() { grant(); }

void LeaseClient::on_stop() {
  if (unary_pending_ && !wrapping_up_) grant_.cancel();  // A revoke is let finish.
  if (stream_) end_stream(/*cancel=*/true);
  if (paused_) pause_.Cancel();
  if (watchdog_armed_) watchdog_.Cancel();
  if (!unary_pending_ && !stream_ && !paused_) wrap_up();
  finish_if_idle();
}

void LeaseClient::on_event(int event, bool ok) {
  switch (event) {
    case kGranted:
      unary_pending_ = false;
      granted();
      break;
    case kStarted:
      --pending_;
      if (!ok || ending_) {
        end_stream(false);
      } else {
        send();
      }
      break;
    case kWritten:
      --pending_;
      if (!ok || ending_) {
        end_stream(false);
      } else {
        stream_->Read(&answer_, &read_tag_);
        ++pending_;
      }
      break;
    case kRead:
      read(ok);
      break;
    case kFinished:
      --pending_;
      finished_stream();
      break;
    case kRevoked:
      unary_pending_ = false;
      revoked();
      break;
    case kResume:
      paused_ = false;
      resume();
      break;
    case kWatchdog:
      watchdog_armed_ = false;
      watchdog(ok);
      break;
    default:
      REGENT_PANIC("unknown event {}", event);
  }
}

void LeaseClient::grant() {
  if (budget_->exhausted() || clock_->past_deadline(Clock::now())) {
    done_ = true;
    wrap_up();
    return;
  }
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(config_.ttl_s);
  unary_pending_ = true;
  grant_.start(Clock::now() + config_.timeout, cq(), &unary_status_, &granted_tag_,
               [&](grpc::ClientContext* ctx, auto* q) {
                 return stub_->PrepareAsyncLeaseGrant(ctx, request, q);
               });
}

void LeaseClient::granted() {
  const auto now = Clock::now();
  const bool ok = unary_status_.ok() && grant_.response().error().empty();
  if (ok) lease_id_ = grant_.response().id();
  if (stopping()) {
    wrap_up();
    return;
  }
  if (!ok) {
    fail(unary_status_.ok() ? "LeaseGrant: " + grant_.response().error()
                            : status_text(unary_status_),
         now);
    budget_->charge();
    pause(config_.error_pause, AfterPause::kGrant);
    return;
  }
  open();
}

void LeaseClient::open() {
  REGENT_ASSERT(!stream_ && pending_ == 0 && lease_id_ != 0);
  context_ = std::make_unique<grpc::ClientContext>();
  ending_ = false;
  timed_out_ = false;
  lease_lost_ = false;
  in_round_trip_ = false;
  stream_ = stub_->PrepareAsyncLeaseKeepAlive(context_.get(), cq());
  stream_->StartCall(&started_tag_);
  ++pending_;
}

void LeaseClient::send() {
  const auto number = budget_->take();
  const auto now = Clock::now();
  if (!number || clock_->past_deadline(now)) {
    done_ = true;
    end_stream(/*cancel=*/true);
    return;
  }
  keep_alive_.set_id(lease_id_);
  sent_ = now;
  in_round_trip_ = true;
  stream_->Write(keep_alive_, &written_tag_);
  ++pending_;
  if (!watchdog_armed_) {
    watchdog_armed_ = true;
    watchdog_.Set(cq(), grpc_deadline(sent_ + config_.timeout), &watchdog_tag_);
  }
}

void LeaseClient::read(bool ok) {
  --pending_;
  if (!ok || ending_) {
    end_stream(false);
    return;
  }
  const auto now = Clock::now();
  in_round_trip_ = false;
  if (answer_.ttl() <= 0) {
    // The lease expired or was revoked behind our back: an error, and a new lease.
    fail(fmt::format("LeaseKeepAlive: lease {:x} not found (TTL {})", lease_id_, answer_.ttl()),
         now);
    lease_lost_ = true;
    if (lost_leases_.size() < kMaxLostLeases) lost_leases_.push_back(lease_id_);
    lease_id_ = 0;
    end_stream(/*cancel=*/true);
    return;
  }
  if (!clock_->past_deadline(now)) recorder_->success(now - sent_, now);
  send();
}

// Finishes the current stream: now if nothing is pending, else when the last operation returns
// (cancelling first makes them return at once).
void LeaseClient::end_stream(bool cancel) {
  REGENT_ASSERT(stream_ != nullptr);
  if (cancel && !ending_) context_->TryCancel();
  ending_ = true;
  if (pending_ > 0) return;
  stream_->Finish(&stream_status_, &finished_tag_);
  ++pending_;
}

void LeaseClient::finished_stream() {
  REGENT_ASSERT(pending_ == 0 && stream_);
  stream_.reset();
  context_.reset();
  const auto now = Clock::now();
  if (watchdog_armed_) watchdog_.Cancel();  // Comes back at once; nothing to watch now.
  if (in_round_trip_ && !stopping() && !done_) {
    // The keep-alive in flight failed with the stream (its budget number was already taken).
    if (timed_out_) {
      fail("DEADLINE_EXCEEDED: keep-alive not answered within --timeout", now);
    } else if (!stream_status_.ok()) {
      fail(status_text(stream_status_), now);
    } else {
      fail("LeaseKeepAlive: stream ended by the server", now);
    }
  } else if (!in_round_trip_ && !stopping() && !done_ && !lease_lost_) {
    // The stream failed to open: charged, so a dead endpoint ends a total-mode run.
    fail(stream_status_.ok() ? std::string("LeaseKeepAlive: stream ended by the server")
                             : status_text(stream_status_),
         now);
    budget_->charge();
  }
  in_round_trip_ = false;
  if (stopping() || done_) {
    wrap_up();
  } else if (lease_lost_) {
    pause(config_.error_pause, AfterPause::kGrant);
  } else {
    pause(config_.reopen_pause, AfterPause::kOpen);
  }
}

void LeaseClient::watchdog(bool ok) {
  if (stream_ && in_round_trip_ && !ending_) {
    if (ok && Clock::now() - sent_ >= config_.timeout) {
      timed_out_ = true;
      end_stream(/*cancel=*/true);
    } else {
      watchdog_armed_ = true;
      watchdog_.Set(cq(), grpc_deadline(sent_ + config_.timeout), &watchdog_tag_);
    }
  }
  finish_if_idle();
}

void LeaseClient::pause(Clock::duration length, AfterPause then) {
  REGENT_ASSERT(!paused_ && !stream_ && !unary_pending_);
  paused_ = true;
  after_pause_ = then;
  pause_.Set(cq(), grpc_deadline(Clock::now() + length), &resume_tag_);
}

void LeaseClient::resume() {
  if (stopping()) {
    wrap_up();
  } else if (after_pause_ == AfterPause::kGrant) {
    grant();
  } else {
    open();
  }
}

void LeaseClient::fail(const std::string& what, Clock::time_point now) {
  // Failures after the deadline are the run being cut off, not the server failing.
  if (!clock_->past_deadline(now)) recorder_->failure(what, now);
}

void LeaseClient::wrap_up() {
  REGENT_ASSERT(!stream_ && !paused_);
  if (wrapping_up_) return;
  wrapping_up_ = true;
  for (int64_t id : lost_leases_) to_revoke_.push_back({id, /*lost=*/true});
  if (lease_id_ != 0) to_revoke_.push_back({lease_id_, /*lost=*/false});
  lease_id_ = 0;
  revoke_next();
}

// One revoke at a time; bounded by to_revoke_, which only shrinks here.
void LeaseClient::revoke_next() {
  if (to_revoke_.empty()) {
    wrapped_up_ = true;
    finish_if_idle();
    return;
  }
  revoking_ = to_revoke_.back();
  to_revoke_.pop_back();
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(revoking_.id);
  unary_pending_ = true;
  revoke_.start(Clock::now() + config_.timeout, cq(), &unary_status_, &revoked_tag_,
                [&](grpc::ClientContext* ctx, auto* q) {
                  return stub_->PrepareAsyncLeaseRevoke(ctx, request, q);
                });
}

void LeaseClient::revoked() {
  if (!unary_status_.ok() && !revoking_.lost) {
    recorder_->failure("LeaseRevoke: " + status_text(unary_status_), Clock::now());
  }
  revoke_next();
}

void LeaseClient::finish_if_idle() {
  if (wrapped_up_ && !unary_pending_ && !stream_ && !paused_ && !watchdog_armed_ && !finished()) {
    set_finished();
  }
}

}  // namespace regent::loadgen
