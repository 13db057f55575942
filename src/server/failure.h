// Why a client request failed, as the gRPC status etcd would return: clients match on these
// codes and messages (etcdctl prints them; clientv3 retries on some), so they are etcd's words.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "kv/errors.h"

namespace regent::server {

struct Failure {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  std::string message;

  grpc::Status status() const { return grpc::Status(code, message); }
};

Failure no_leader();          // Unavailable "etcdserver: no leader"
Failure leader_changed();     // Unavailable "etcdserver: leader changed"
Failure request_timeout();    // Unavailable "etcdserver: request timed out"
Failure too_many_requests();  // ResourceExhausted "etcdserver: too many requests"
Failure request_too_large();  // InvalidArgument "etcdserver: request is too large"
Failure not_leader();         // FailedPrecondition "etcdserver: not leader"
Failure bad_transferee();     // FailedPrecondition "etcdserver: bad leader transferee"
Failure transfer_timeout();   // DeadlineExceeded, etcd's leader-transfer timeout message
Failure stopped();            // Unavailable "etcdserver: server stopped"
Failure corrupt_entry();      // Internal: a committed entry this member cannot decode
// Unavailable: this member lost log entries it had acknowledged and has not caught up past
// `target` yet (raft.h, "Lost log"); its store may be behind what it promised, so it serves no
// reads and answers health checks as unhealthy until then. Clients move to another member.
Failure catching_up(uint64_t last_index, uint64_t target);
// Unavailable: recovery cut a torn tail off this member's log, and no leader has told it yet
// whether what was cut had been acknowledged (the leader's first message shows a loss).
Failure awaiting_leader_after_torn_tail();
// The store's outcome as etcd's gRPC layer reports it ("etcdserver: " + mvcc's message, ...);
// leases: NotFound "etcdserver: requested lease not found", FailedPrecondition "etcdserver:
// lease already exists", OutOfRange "etcdserver: too large lease TTL".
Failure from_kv(const kv::Error& e);

}  // namespace regent::server
