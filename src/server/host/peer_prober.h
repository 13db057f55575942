// Round trips to every peer, measured for real: every kInterval a thread calls each peer's
// PeerInfo.Members (peer.proto) over a channel kept open to its peer port and records how long
// the answer took, per peer, in etcd_network_peer_round_trip_time_seconds (label To). etcd's
// prober asks each peer's /raft/probing over its peer connection every few seconds; the
// measure here is the same kind of thing: one small request and its answer on a live connection,
// so it covers the network and the peer's gRPC threads, not the peer's Raft loop.
//
// Invariants: one histogram per peer, made at construction and living as long as the prober;
// a probe that fails or passes its deadline records nothing (a lost peer has no round trip);
// stop() ends the thread within one probe's deadline.
#pragma once

#include <grpcpp/security/credentials.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/host/latency_histogram.h"
#include "transport/transport.h"

namespace regent::server {

class PeerProber {
 public:
  static constexpr std::chrono::seconds kInterval{2};
  static constexpr std::chrono::seconds kDeadline{1};

  // `credentials`: what the peers are dialed with (the peer TLS, or plain text).
  PeerProber(const std::vector<transport::PeerAddress>& peers,
             const std::shared_ptr<grpc::ChannelCredentials>& credentials);
  ~PeerProber();
  void start();
  void stop();

  struct Peer {
    raft::NodeId id = raft::kNone;
    const LatencyHistogram* round_trips = nullptr;
  };
  std::vector<Peer> peers() const;

 private:
  struct Target;
  void run();

  std::vector<std::unique_ptr<Target>> targets_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace regent::server
