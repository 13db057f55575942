#include "server/host/peer_prober.h"

#include <grpcpp/grpcpp.h>

#include "regentpb/peer.grpc.pb.h"

namespace regent::server {

struct PeerProber::Target {
  raft::NodeId id = raft::kNone;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<regentpb::PeerInfo::Stub> stub;
  LatencyHistogram round_trips{0.0001};  // etcd's buckets for this histogram: 0.1 ms doubling.
};

PeerProber::PeerProber(const std::vector<transport::PeerAddress>& peers,
                       const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  for (const transport::PeerAddress& p : peers) {
    auto target = std::make_unique<Target>();
    target->id = p.id;
    target->channel = grpc::CreateChannel(p.address, credentials);
    target->stub = regentpb::PeerInfo::NewStub(target->channel);
    targets_.push_back(std::move(target));
  }
}

PeerProber::~PeerProber() { stop(); }

void PeerProber::start() {
  if (!targets_.empty()) thread_ = std::thread([this] { run(); });
}

void PeerProber::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<PeerProber::Peer> PeerProber::peers() const {
  std::vector<Peer> out;
  for (const auto& t : targets_) out.push_back({t->id, &t->round_trips});
  return out;
}

void PeerProber::run() {
  while (true) {
    for (const auto& t : targets_) {
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
      }
      // A probe on a channel not yet connected would time the connection's setup too: it only
      // connects, and the next one is measured.
      const bool connected = t->channel->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + kDeadline);
      regentpb::MembersResponse response;
      const auto began = std::chrono::steady_clock::now();
      const grpc::Status status = t->stub->Members(&context, regentpb::MembersRequest(), &response);
      if (status.ok() && connected) t->round_trips.record(std::chrono::steady_clock::now() - began);
    }
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, kInterval, [this] { return stopping_; })) return;
  }
}

}  // namespace regent::server
