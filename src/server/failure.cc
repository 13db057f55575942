#include "server/failure.h"

#include <fmt/format.h>

namespace regent::server {

namespace {
Failure make(grpc::StatusCode code, std::string message) { return {code, std::move(message)}; }
}  // namespace

Failure no_leader() { return make(grpc::StatusCode::UNAVAILABLE, "etcdserver: no leader"); }
Failure leader_changed() {
  return make(grpc::StatusCode::UNAVAILABLE, "etcdserver: leader changed");
}
Failure request_timeout() {
  return make(grpc::StatusCode::UNAVAILABLE, "etcdserver: request timed out");
}
Failure too_many_requests() {
  return make(grpc::StatusCode::RESOURCE_EXHAUSTED, "etcdserver: too many requests");
}
Failure request_too_large() {
  return make(grpc::StatusCode::INVALID_ARGUMENT, "etcdserver: request is too large");
}
Failure not_leader() {
  return make(grpc::StatusCode::FAILED_PRECONDITION, "etcdserver: not leader");
}
Failure bad_transferee() {
  return make(grpc::StatusCode::FAILED_PRECONDITION, "etcdserver: bad leader transferee");
}
Failure transfer_timeout() {
  return make(grpc::StatusCode::DEADLINE_EXCEEDED,
              "etcdserver: request timed out, leader transfer took too long");
}
Failure catching_up(uint64_t last_index, uint64_t target) {
  return make(grpc::StatusCode::UNAVAILABLE,
              fmt::format("etcdserver: this member lost log entries it had acknowledged and is "
                          "catching up from the leader (log at {}, must reach {}); ask another "
                          "member",
                          last_index, target));
}

Failure awaiting_leader_after_torn_tail() {
  return make(grpc::StatusCode::UNAVAILABLE,
              "etcdserver: this member cut a torn write off its log at startup and has not heard "
              "from a leader since; ask another member");
}

Failure stopped() { return make(grpc::StatusCode::UNAVAILABLE, "etcdserver: server stopped"); }
Failure corrupt_entry() {
  return make(grpc::StatusCode::INTERNAL, "etcdserver: committed entry cannot be decoded");
}

Failure from_kv(const kv::Error& e) {
  switch (e.code) {
    case kv::ErrorCode::kInvalidArgument:
    case kv::ErrorCode::kKeyNotFound:
      return make(grpc::StatusCode::INVALID_ARGUMENT, e.message);
    case kv::ErrorCode::kFutureRevision:
    case kv::ErrorCode::kCompacted:
      // mvcc's messages carry no prefix; etcd's gRPC layer adds it.
      return make(grpc::StatusCode::OUT_OF_RANGE, "etcdserver: " + e.message);
    case kv::ErrorCode::kLeaseNotFound:  // rpctypes.ErrGRPCLeaseNotFound
      return make(grpc::StatusCode::NOT_FOUND, e.message);
    case kv::ErrorCode::kLeaseExists:  // rpctypes.ErrGRPCLeaseExist
      return make(grpc::StatusCode::FAILED_PRECONDITION, e.message);
    case kv::ErrorCode::kTtlTooLarge:  // rpctypes.ErrGRPCLeaseTTLTooLarge
      return make(grpc::StatusCode::OUT_OF_RANGE, e.message);
    case kv::ErrorCode::kCorruptImage:
      break;
  }
  return make(grpc::StatusCode::INTERNAL, e.message);
}

}  // namespace regent::server
