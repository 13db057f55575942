// The peer port's PeerInfo service (peer.proto): tells whoever asks this member's cluster id and
// member table. A member about to bootstrap on an empty data directory asks its peers whether the
// cluster already knows it (server/bootstrapped_check.h).
//
// Answers only what the host's `members` callback returns; it changes nothing and needs no
// header check (the asker compares the cluster id itself).
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "regentpb/peer.grpc.pb.h"

namespace regent::transport {

class MembersService final : public regentpb::PeerInfo::Service {
 public:
  using MembersFn = std::function<std::vector<regentpb::Member>()>;
  MembersService(uint64_t cluster_id, MembersFn members)
      : cluster_id_(cluster_id), members_(std::move(members)) {}

  grpc::Status Members(grpc::ServerContext* context, const regentpb::MembersRequest* request,
                       regentpb::MembersResponse* response) override;

 private:
  const uint64_t cluster_id_;
  const MembersFn members_;
};

}  // namespace regent::transport
