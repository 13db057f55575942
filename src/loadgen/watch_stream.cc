#include "loadgen/watch_stream.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/assert.h"
#include "loadgen/grpc_time.h"
#include "loadgen/watch_value.h"

namespace regent::loadgen {

WatchStream::WatchStream(grpc::CompletionQueue* cq, Recorder* recorder,
                         const std::shared_ptr<grpc::Channel>& channel, std::string key,
                         Clock::duration reopen_pause)
    : Reactor(cq),
      recorder_(recorder),
      stub_(etcdserverpb::Watch::NewStub(channel)),
      key_(std::move(key)),
      reopen_pause_(reopen_pause) {}

void WatchStream::on_start() { open(); }

void WatchStream::on_stop() {
  if (stream_) end_stream(/*cancel=*/true);
  if (paused_) pause_.Cancel();
  finish_if_idle();
}

void WatchStream::on_event(int event, bool ok) {
  switch (event) {
    case kStarted:
      started(ok);
      break;
    case kWritten:
      --pending_;
      if (!ok || ending_) end_stream(/*cancel=*/false);
      break;
    case kRead:
      read(ok);
      break;
    case kFinished:
      --pending_;
      finished_stream();
      break;
    case kReopen:
      paused_ = false;
      if (stopping()) {
        finish_if_idle();
      } else {
        open();
      }
      break;
    default:
      REGENT_PANIC("unknown event {}", event);
  }
}

void WatchStream::open() {
  REGENT_ASSERT(!stream_ && !paused_ && pending_ == 0);
  context_ = std::make_unique<grpc::ClientContext>();
  ending_ = false;
  break_reason_.clear();
  stream_ = stub_->PrepareAsyncWatch(context_.get(), cq());
  stream_->StartCall(&started_tag_);
  ++pending_;
}

void WatchStream::started(bool ok) {
  --pending_;
  if (!ok || ending_) {
    end_stream(false);
    return;
  }
  auto* create = create_.mutable_create_request();
  create->set_key(key_);
  create->set_start_revision(next_revision_);  // 0: from now.
  stream_->Write(create_, &written_tag_);
  stream_->Read(&response_, &read_tag_);
  pending_ += 2;
}

void WatchStream::read(bool ok) {
  --pending_;
  if (!ok || ending_) {
    end_stream(false);
    return;
  }
  handle(response_, Clock::now());
  if (ending_) {
    end_stream(false);
    return;
  }
  stream_->Read(&response_, &read_tag_);
  ++pending_;
}

void WatchStream::handle(const etcdserverpb::WatchResponse& response, Clock::time_point now) {
  if (response.created()) {
    if (next_revision_ == 0) next_revision_ = response.header().revision() + 1;
    created_.store(true, std::memory_order_release);
  }
  for (const auto& event : response.events()) {
    const auto& kv = event.kv();
    next_revision_ = std::max(next_revision_, kv.mod_revision() + 1);
    if (event.type() != mvccpb::Event::PUT) continue;
    const auto value = decode_watch_value(kv.value());
    if (!value) continue;  // Not the putter's.
    const auto sent = Clock::time_point(std::chrono::nanoseconds(value->sent_ns));
    if (seen_.add(value->seq)) {
      recorder_->success(now - sent, now);
      seen_count_.fetch_add(1, std::memory_order_release);
    }
    if (value->seq + 1 > seen_through_.load(std::memory_order_relaxed)) {
      seen_through_.store(value->seq + 1, std::memory_order_release);
    }
  }
  if (response.canceled()) {
    // The server ended the watch (compaction, or it is shutting down): reopen from where the
    // history still is. A compacted revision's puts are lost and show up as missed.
    if (response.compact_revision() > next_revision_) next_revision_ = response.compact_revision();
    break_reason_ = response.cancel_reason().empty()
                        ? std::string("watch canceled by the server")
                        : fmt::format("watch canceled: {}", response.cancel_reason());
    end_stream(/*cancel=*/true);
  }
}

// Finishes the current stream: now if nothing is pending, else when the last operation returns
// (cancelling the call first makes them return at once).
void WatchStream::end_stream(bool cancel) {
  REGENT_ASSERT(stream_ != nullptr);
  if (cancel && !ending_) context_->TryCancel();
  ending_ = true;
  if (pending_ > 0) return;
  stream_->Finish(&status_, &finished_tag_);
  ++pending_;
}

void WatchStream::finished_stream() {
  REGENT_ASSERT(pending_ == 0 && stream_);
  stream_.reset();
  context_.reset();
  if (stopping()) {
    finish_if_idle();
    return;
  }
  const auto now = Clock::now();
  if (!break_reason_.empty()) {
    recorder_->failure(break_reason_, now);
  } else if (!status_.ok()) {
    recorder_->failure(status_, now);
  } else {
    recorder_->failure("watch stream ended by the server", now);
  }
  paused_ = true;
  pause_.Set(cq(), grpc_deadline(now + reopen_pause_), &reopen_tag_);
}

void WatchStream::finish_if_idle() {
  if (!stream_ && !paused_ && stopping() && !finished()) set_finished();
}

}  // namespace regent::loadgen
