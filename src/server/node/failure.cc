#include "server/node/failure.h"

#include <fmt/format.h>

namespace regent::server {

namespace {
Failure make(StatusCode code, std::string message) { return {code, std::move(message)}; }
}  // namespace

Failure no_leader() { return make(StatusCode::UNAVAILABLE, "etcdserver: no leader"); }
Failure leader_changed() { return make(StatusCode::UNAVAILABLE, "etcdserver: leader changed"); }
Failure request_timeout() { return make(StatusCode::UNAVAILABLE, "etcdserver: request timed out"); }
Failure too_many_requests() {
  return make(StatusCode::RESOURCE_EXHAUSTED, "etcdserver: too many requests");
}
Failure request_too_large() {
  return make(StatusCode::INVALID_ARGUMENT, "etcdserver: request is too large");
}
Failure not_leader() { return make(StatusCode::FAILED_PRECONDITION, "etcdserver: not leader"); }
Failure bad_transferee() {
  return make(StatusCode::FAILED_PRECONDITION, "etcdserver: bad leader transferee");
}
Failure transfer_timeout() {
  return make(StatusCode::DEADLINE_EXCEEDED,
              "etcdserver: request timed out, leader transfer took too long");
}
Failure catching_up(uint64_t last_index, uint64_t target) {
  return make(StatusCode::UNAVAILABLE,
              fmt::format("etcdserver: this member lost log entries it had acknowledged and is "
                          "catching up from the leader (log at {}, must reach {}); ask another "
                          "member",
                          last_index, target));
}

Failure awaiting_leader_after_torn_tail() {
  return make(StatusCode::UNAVAILABLE,
              "etcdserver: this member cut a torn write off its log at startup and has not heard "
              "from a leader since; ask another member");
}

Failure stopped() { return make(StatusCode::UNAVAILABLE, "etcdserver: server stopped"); }
Failure corrupt_entry() {
  return make(StatusCode::INTERNAL, "etcdserver: committed entry cannot be decoded");
}

Failure from_kv(const kv::Error& e) {
  switch (e.code) {
    case kv::ErrorCode::kInvalidArgument:
    case kv::ErrorCode::kKeyNotFound:
      return make(StatusCode::INVALID_ARGUMENT, e.message);
    case kv::ErrorCode::kFutureRevision:
    case kv::ErrorCode::kCompacted:
      // mvcc's messages carry no prefix; etcd's gRPC layer adds it.
      return make(StatusCode::OUT_OF_RANGE, "etcdserver: " + e.message);
    case kv::ErrorCode::kLeaseNotFound:  // rpctypes.ErrGRPCLeaseNotFound
      return make(StatusCode::NOT_FOUND, e.message);
    case kv::ErrorCode::kLeaseExists:  // rpctypes.ErrGRPCLeaseExist
      return make(StatusCode::FAILED_PRECONDITION, e.message);
    case kv::ErrorCode::kTtlTooLarge:  // rpctypes.ErrGRPCLeaseTTLTooLarge
      return make(StatusCode::OUT_OF_RANGE, e.message);
    case kv::ErrorCode::kNoSpace:  // rpctypes.ErrGRPCNoSpace
      return make(StatusCode::RESOURCE_EXHAUSTED, e.message);
    case kv::ErrorCode::kCorrupt:  // rpctypes.ErrGRPCCorrupt
      return make(StatusCode::DATA_LOSS, e.message);
    case kv::ErrorCode::kAuthRefused:  // rpctypes.ErrGRPCUserNotFound and its kin
      return make(StatusCode::FAILED_PRECONDITION, e.message);
    case kv::ErrorCode::kPermissionDenied:  // rpctypes.ErrGRPCPermissionDenied
      return make(StatusCode::PERMISSION_DENIED, e.message);
    case kv::ErrorCode::kCorruptImage:
      break;
  }
  return make(StatusCode::INTERNAL, e.message);
}

}  // namespace regent::server
