// Why a client request failed, as the gRPC status etcd would return: clients match on these
// codes and messages (etcdctl prints them; clientv3 retries on some), so they are etcd's words.
// The node core answers with these and links no gRPC, so the codes are gRPC's, spelled and
// numbered as gRPC's (server/grpc_status.h converts, and checks that the numbers agree).
#pragma once

#include <cstdint>
#include <string>

#include "kv/errors.h"

namespace regent::server {

enum class StatusCode {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
};

struct Failure {
  StatusCode code = StatusCode::UNKNOWN;
  std::string message;
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
