// The listener's side of the peer protocol: accepts streams from members of this cluster that
// are addressed to this member, and hands every complete message to the Handler.
//
// One thread per stream (gRPC's synchronous server): members are few, and a blocking read loop
// is the simplest correct reader. Nothing a peer sends can stop the stream except a header that
// is not ours; a malformed message or snapshot chunk is dropped with a warning.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/logger.h"
#include "raft/message.h"
#include "regentpb/peer.grpc.pb.h"
#include "transport/transport.h"

namespace regent::transport {

class PeerReceiver final : public regentpb::Peer::Service {
 public:
  PeerReceiver(uint64_t cluster_id, raft::NodeId self, Handler& handler, Logger& logger,
               std::function<bool(raft::NodeId)> is_removed = nullptr);

  grpc::Status Stream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<regentpb::PeerAck, regentpb::PeerBatch>* stream) override;

  // Waits for any Handler call in progress; none starts afterwards. Not from a Handler call.
  void close();
  // The member table changed: each open stream asks is_removed about its sender again at its
  // next batch, and ends if it was removed (a member cut off while it was removed).
  void membership_changed() { membership_.fetch_add(1, std::memory_order_release); }

 private:
  struct StreamState;
  // One sender's streams: a new one supersedes the old, whose handler thread may still hold a
  // batch; deliveries take turns, and a superseded stream delivers nothing more. So messages
  // from one member reach the Handler in the order sent, even across reconnections.
  struct Sender {
    std::mutex delivery;
    uint64_t current_stream = 0;  // Guarded by PeerReceiver::mu_.
  };

  // Why a stream with this header is refused, or nothing.
  std::optional<std::string> refusal(const regentpb::PeerBatch& batch) const;
  void log_refusal(raft::NodeId from, const std::string& reason);
  void handle(StreamState& state, regentpb::PeerBatch batch);
  void drop_malformed(StreamState& state, std::string_view error);
  // Why `message` cannot have come from `from` to this member, or nothing.
  std::optional<std::string> misaddressed(const raft::Message& message, raft::NodeId from) const;
  void deliver(const StreamState& state, std::vector<raft::Message> messages);

  const uint64_t cluster_id_;
  const std::function<bool(raft::NodeId)> is_removed_;  // Options::is_removed.
  std::atomic<uint64_t> membership_{0};                 // membership_changed() calls.
  const raft::NodeId self_;
  Handler& handler_;
  Logger& logger_;

  std::mutex mu_;
  std::condition_variable idle_;
  // Guarded by mu_.
  bool closed_ = false;
  int delivering_ = 0;  // Handler calls in progress.
  uint64_t streams_accepted_ = 0;
  std::map<raft::NodeId, std::unique_ptr<Sender>> senders_;  // Never erased: pointers stay valid.
  // The last refusal logged per sender: a misconfigured peer retries every second or so, and
  // the log says so once.
  std::map<raft::NodeId, std::string> refusals_logged_;
};

}  // namespace regent::transport
