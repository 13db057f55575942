// One watcher of the watch-latency workload: a Watch stream on one key, recording one latency
// sample per put event (received time - the send time the value carries) and which puts it saw.
//
// Invariants:
//  - One stream at a time; on it at most one Read and one Write pending, and Finish is called
//    only when neither is (gRPC's rule), exactly once per stream.
//  - A broken stream (an error, or the server cancelling the watch) is an error, and is reopened
//    after a short pause from the revision after the last event seen, so a break loses no put.
//  - The stream runs until stopped: the workload decides when every put had its chance to arrive.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/async_stream.h>

#include <atomic>
#include <memory>
#include <string>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "loadgen/reactor.h"
#include "loadgen/recorder.h"
#include "loadgen/seq_set.h"

namespace regent::loadgen {

class WatchStream final : public Reactor {
 public:
  WatchStream(grpc::CompletionQueue* cq, Recorder* recorder,
              const std::shared_ptr<grpc::Channel>& channel, std::string key,
              Clock::duration reopen_pause);

  // Any thread: whether a watch was ever created, and 1 + the highest sequence number seen.
  bool created() const { return created_.load(std::memory_order_acquire); }
  uint64_t seen_through() const { return seen_through_.load(std::memory_order_acquire); }
  // Any thread: how many distinct sequence numbers were seen.
  uint64_t seen_count() const { return seen_count_.load(std::memory_order_acquire); }
  // After the pollers stopped.
  const SeqSet& seen() const { return seen_; }

 private:
  enum Event { kStarted = kFirstEvent, kWritten, kRead, kFinished, kReopen };
  using Stream =
      grpc::ClientAsyncReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;

  void on_start() override;
  void on_stop() override;
  void on_event(int event, bool ok) override;

  void open();
  void started(bool ok);
  void read(bool ok);
  void handle(const etcdserverpb::WatchResponse& response, Clock::time_point now);
  void end_stream(bool cancel);
  void finished_stream();
  void finish_if_idle();

  Recorder* recorder_;
  std::unique_ptr<etcdserverpb::Watch::Stub> stub_;
  std::string key_;
  Clock::duration reopen_pause_;

  // Declared context first: the stream lives in the call's arena and goes before its context.
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<Stream> stream_;
  etcdserverpb::WatchRequest create_;
  etcdserverpb::WatchResponse response_;
  grpc::Status status_;
  grpc::Alarm pause_;
  Tag started_tag_{this, kStarted};
  Tag written_tag_{this, kWritten};
  Tag read_tag_{this, kRead};
  Tag finished_tag_{this, kFinished};
  Tag reopen_tag_{this, kReopen};
  int pending_ = 0;      // Operations of the current stream in flight.
  bool ending_ = false;  // The current stream is being finished.
  bool paused_ = false;
  std::string break_reason_;   // Why the server ended the watch, when it said so.
  int64_t next_revision_ = 0;  // Where a reopened watch starts; 0 before the first creation.

  SeqSet seen_;
  std::atomic<bool> created_{false};
  std::atomic<uint64_t> seen_through_{0};
  std::atomic<uint64_t> seen_count_{0};
};

}  // namespace regent::loadgen
