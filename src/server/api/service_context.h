// What every gRPC service of a member shares: who answers (ids for response headers), the Raft
// loop to propose and read through, the state machine to read, and the request limits.
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <string>

#include "etcdserverpb/rpc.pb.h"
#include "server/auth/auth_gate.h"
#include "server/grpc_status.h"
#include "server/host/raft_node.h"
#include "server/member_security.h"
#include "server/node/state_machine.h"

namespace regent::server {

// etcd's version this API corresponds to, with Regent's as build metadata (semver), so clients
// that parse the version see 3.5.
inline constexpr const char* kApiVersion = "3.5.0+regent.0.1.0";

struct ServiceContext {
  uint64_t cluster_id = 0;
  raft::NodeId member_id = raft::kNone;
  RaftNode* node = nullptr;
  StateMachine* machine = nullptr;
  uint64_t max_request_bytes = 1536 * 1024;  // --max-request-bytes
  int max_txn_ops = 128;                     // --max-txn-ops
  std::string data_dir;
  std::string cluster_token;  // --initial-cluster-token: new members' ids
  // How to dial another member's client URL (a call forwarded to the leader).
  const MemberSecurity* security = nullptr;
  // Who makes each call, and the checks answered without the log (auth_gate.h). Not owned.
  const AuthGate* auth = nullptr;

  // Fills a response header; revision 0 means the store's current one.
  void fill(etcdserverpb::ResponseHeader* header, int64_t revision = 0) const {
    header->set_cluster_id(cluster_id);
    header->set_member_id(member_id);
    header->set_revision(revision > 0 ? revision : machine->revision());
    header->set_raft_term(node->term());
  }
};

// Stamps on `proposal` who makes `call`, for the checks at apply (node/auth_check.h); the
// failure to answer with when the call's token is not valid.
inline std::optional<Failure> stamp_caller(const ServiceContext& ctx,
                                           const grpc::ServerContextBase& call,
                                           regentpb::InternalRequest& proposal) {
  if (ctx.auth == nullptr) return std::nullopt;
  auto caller = ctx.auth->caller(call);
  if (!caller) return caller.error();
  *proposal.mutable_header()->mutable_caller() = std::move(*caller);
  return std::nullopt;
}

// A server-streaming call refused before it began: ends at once with `status`, writing nothing,
// and deletes itself when gRPC is done with it.
template <class Response>
class RefusedStream final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit RefusedStream(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

// Answers a call at once (a check failed, or the answer needs no waiting).
inline grpc::ServerUnaryReactor* finish_now(grpc::CallbackServerContext* call,
                                            const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

}  // namespace regent::server
