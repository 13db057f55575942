// etcd's "hasleader" contract: a call whose metadata carries `hasleader: true` (etcdctl watch and
// Go clients' keep-alive streams send it) must fail with Unavailable "etcdserver: no leader" when
// the member knows no leader, and an open stream carrying it is cancelled once the leader is
// lost, so the client moves to a member that still has one.
#pragma once

#include <grpcpp/server_context.h>

namespace regent::server {

inline bool requires_leader(const grpc::CallbackServerContext& call) {
  const auto& metadata = call.client_metadata();
  auto it = metadata.find("hasleader");
  return it != metadata.end() && it->second == "true";
}

}  // namespace regent::server
