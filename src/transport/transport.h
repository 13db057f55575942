// Carries Raft messages between the members of one cluster, over one gRPC client stream per
// ordered pair of members (the sender's stream to the receiver's peer port).
//
// Invariants:
//  - send() never blocks on the network: each peer has a bounded queue drained by its own sender
//    thread. A full queue drops the newest messages and reports the peer unreachable; Raft
//    retransmits what matters, so a drop is a delay, never a loss of safety.
//  - Messages from one member to another arrive in the order they were sent, or not at all
//    (a broken stream drops what was in flight; the sender reconnects with backoff).
//  - A stream is accepted only from a member of the same cluster (cluster id), addressed to this
//    member; anything else is refused with FAILED_PRECONDITION and a message naming both ids.
//  - A snapshot message whose image is empty gets it from read_snapshot on the sender's thread,
//    just before it goes (storage keeps images in their files, not in memory).
//  - A snapshot message travels in chunks of at most snapshot_chunk_bytes and is handed to the
//    receiver whole, once every chunk arrived; the sender reports the outcome through
//    on_snapshot_sent.
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "raft/message.h"
#include "regentpb/request.pb.h"

namespace grpc {
class ChannelCredentials;
class ServerCredentials;
}  // namespace grpc

namespace regent::transport {

struct PeerAddress {
  raft::NodeId id = raft::kNone;
  std::string address;  // host:port of the peer's listener, e.g. "127.0.0.1:2380".
};

struct Options {
  uint64_t cluster_id = 0;
  raft::NodeId self = raft::kNone;
  std::string listen_address;        // host:port to bind; port 0 picks a free one (tests).
  std::vector<PeerAddress> peers;    // Every other member.
  size_t max_batch_bytes = 4 << 20;  // One stream write carries at most this much.
  size_t snapshot_chunk_bytes = 1 << 20;
  size_t max_queued_messages = 4096;  // Per peer.
  std::chrono::milliseconds min_backoff{20};
  std::chrono::milliseconds max_backoff{1000};
  // This member's member table, answered to peers that ask (the PeerInfo service, peer.proto).
  // Called from the listener's threads: must be thread-safe. Unset: the service is not offered.
  std::function<std::vector<regentpb::Member>()> members;
  // This member's store hash at a revision (PeerInfo.HashKV, for the corruption check); same
  // threading rule. Unset: answered Unimplemented.
  std::function<grpc::Status(const etcdserverpb::HashKVRequest&, etcdserverpb::HashKVResponse*)>
      hash_kv;
  // Whether a member was removed from the cluster for good: its streams are refused with
  // kRemovedMessage, which tells it to stop (as etcd's peers answer a removed member). Unset:
  // none is.
  std::function<bool(raft::NodeId)> is_removed;
  // The image of the snapshot `metadata` describes (storage::DiskStorage::read_snapshot), for a
  // snapshot message that carries none. Called from the senders' threads: must be thread-safe.
  // Unset: such messages go as they are.
  std::function<Expected<std::string, std::string>(const raft::SnapshotMetadata&)> read_snapshot;
  // The peer port's TLS (tls/grpc_credentials.h) and what peers are dialed with. Unset: plain
  // text both ways.
  std::shared_ptr<grpc::ServerCredentials> server_credentials;
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
};

// What the transport reports. Called from the transport's threads: implementations must be
// thread-safe and return quickly (queue the work, do not run Raft here).
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void on_messages(std::vector<raft::Message> messages) = 0;
  // A message to `peer` could not be delivered (no connection, stream broke, queue full).
  virtual void on_unreachable(raft::NodeId peer) = 0;
  // The stream to `peer` broke and the peer then refused a new connection: its process is most
  // likely gone. A hung peer keeps its connection open and a cut-off one lets connection
  // attempts time out, so neither is reported here. Hosts that ignore this need not override it.
  virtual void on_peer_down(raft::NodeId /*peer*/) {}
  // A kSnapshot message to `peer` was sent whole (ok) or failed part way.
  virtual void on_snapshot_sent(raft::NodeId peer, bool ok) = 0;
  // `peer` refused this member's stream because this member was removed from the cluster.
  virtual void on_removed_by(raft::NodeId /*peer*/) {}
};

// etcd's words (ErrMemberRemoved) for a stream from a member removed from the cluster.
inline constexpr const char* kRemovedMessage =
    "the member has been permanently removed from the cluster";

class Transport {
 public:
  // Binds the listener and starts one sender per peer. Fails if the address cannot be bound
  // or a peer entry is invalid (id 0, id == self, duplicate id, empty address).
  static Expected<std::unique_ptr<Transport>, std::string> start(const Options& options,
                                                                 Handler& handler, Logger& logger);
  virtual ~Transport() = default;

  // Queues each message for its `to` peer. Thread-safe; never blocks on the network. Messages
  // to an unknown peer are dropped with a warning (logged once per peer).
  virtual void send(std::vector<raft::Message> messages) = 0;
  // Stops accepting, closes every stream and joins every thread. Idempotent; the destructor
  // calls it. No Handler call happens after it returns.
  virtual void stop() = 0;
  // The peers as the member table now has them (every member but this one): a sender starts for
  // each new one, one whose address changed is restarted there, and one no longer listed is
  // stopped (its queued messages dropped). Returns at once; thread-safe.
  virtual void update_peers(const std::vector<PeerAddress>& peers) = 0;

  virtual int bound_port() const = 0;
  // Whether a stream to `peer` is currently established (for status output and tests).
  virtual bool connected(raft::NodeId peer) const = 0;
};

}  // namespace regent::transport
