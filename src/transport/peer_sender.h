// Everything this member sends to one peer: a bounded queue, and a thread that drains it into
// batches on a long-lived stream, reconnecting with exponential backoff when the stream fails.
//
// The thread makes every on_unreachable and on_snapshot_sent call for this peer, even for a drop
// that enqueue() decides, so that a caller of send() never finds itself inside a Handler call
// (it may hold the very lock the Handler takes).
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/logger.h"
#include "raft/message.h"
#include "regentpb/peer.grpc.pb.h"
#include "transport/peer_stream.h"
#include "transport/transport.h"

namespace regent::transport {

class PeerSender {
 public:
  PeerSender(const Options& options, PeerAddress peer, Handler& handler, Logger& logger);
  ~PeerSender();
  PeerSender(const PeerSender&) = delete;
  PeerSender& operator=(const PeerSender&) = delete;

  void start();
  // Queues `message`; never blocks on the network. On a full queue the message is dropped and
  // the thread reports it.
  void enqueue(raft::Message message);
  // Asks the thread to finish and cancels the stream; returns at once. Then join().
  void request_stop();
  void join();

  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  const std::string& address() const { return peer_.address; }

 private:
  // What came of waiting on a stream.
  enum class Outcome { kOk, kEnded, kTimedOut, kStopped };
  // Messages taken from the queue to go out in one write, or one snapshot alone.
  struct Work {
    std::vector<raft::Message> messages;
    std::optional<raft::Message> snapshot;
    std::optional<raft::Message> oversized;  // Cannot fit any write: dropped.
  };

  void run();
  // Starts a stream (the hello is its first write); nullptr when asked to stop.
  std::shared_ptr<PeerStream> open_stream();
  // Waits until the peer accepts the stream.
  Outcome handshake(PeerStream& stream);
  // Sends what is queued until the stream fails or the sender is asked to stop.
  Outcome pump(PeerStream& stream);
  Outcome send_messages(PeerStream& stream, std::vector<raft::Message> messages);
  Outcome send_snapshot(PeerStream& stream, raft::Message message);
  Outcome write(PeerStream& stream, regentpb::PeerBatch batch);
  // With mu_ held: takes the next write's worth of messages off the queue.
  Work take_work();
  regentpb::PeerBatch new_batch() const;
  // Waits until ready() (called with mu_ held), the stream ends, the deadline passes or the
  // sender is asked to stop, reporting queue overflows meanwhile.
  Outcome wait(PeerStream& stream, std::chrono::steady_clock::time_point deadline,
               const std::function<bool()>& ready);
  // Reports drops by enqueue() (queue full); without mu_.
  void report_overflow();
  // Logs a state change (connected, lost, a new reason for failing); never once per retry.
  void note_connected();
  void note_failure(const grpc::Status& status, bool was_connected);
  // Waits `delay` or until asked to stop; false when asked to stop.
  bool sleep(std::chrono::milliseconds delay);

  const Options& options_;
  const PeerAddress peer_;
  Handler& handler_;
  Logger& logger_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<regentpb::Peer::Stub> stub_;
  std::thread thread_;
  std::atomic<bool> connected_{false};

  // Used by the sender thread only.
  std::optional<grpc::StatusCode> last_failure_logged_;
  uint64_t oversized_dropped_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // Also signalled by the current PeerStream's reactions.
  // Guarded by mu_.
  std::deque<raft::Message> queue_;
  bool stopping_ = false;
  bool overflowed_ = false;             // A message was dropped since the last report.
  bool full_logged_ = false;            // The queue filled up and nothing was taken since.
  uint64_t dropped_snapshots_ = 0;      // kSnapshot messages among them: each needs its report.
  std::shared_ptr<PeerStream> stream_;  // The current stream, for request_stop() to cancel.
};

}  // namespace regent::transport
