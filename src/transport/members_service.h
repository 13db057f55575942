// The peer port's PeerInfo service (peer.proto): tells whoever asks this member's cluster id and
// member table. A member about to bootstrap on an empty data directory asks its peers whether the
// cluster already knows it (server/bootstrapped_check.h).
//
// Answers only what the host's `members` callback returns; it changes nothing and needs no
// header check (the asker compares the cluster id itself). HashKV answers the host's store hash
// (the corruption check's question), when the host gives a `hash_kv` callback.
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
  using HashKvFn = std::function<grpc::Status(const etcdserverpb::HashKVRequest&,
                                              etcdserverpb::HashKVResponse*)>;
  MembersService(uint64_t cluster_id, MembersFn members, HashKvFn hash_kv = nullptr)
      : cluster_id_(cluster_id), members_(std::move(members)), hash_kv_(std::move(hash_kv)) {}

  grpc::Status Members(grpc::ServerContext* context, const regentpb::MembersRequest* request,
                       regentpb::MembersResponse* response) override;
  grpc::Status HashKV(grpc::ServerContext* context, const etcdserverpb::HashKVRequest* request,
                      etcdserverpb::HashKVResponse* response) override;

 private:
  const uint64_t cluster_id_;
  const MembersFn members_;
  const HashKvFn hash_kv_;
};

}  // namespace regent::transport
