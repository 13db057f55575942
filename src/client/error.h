// How a client call failed: the gRPC code and etcd's message text, plus what the client knows
// about whether a write took effect.
//
// Invariants:
//  - `message` is the server's text verbatim when a server answered ("etcdserver: mvcc: required
//    revision has been compacted"), so callers and scripts can match etcd's documented strings;
//    errors made by the client itself say so in their own words ("no endpoint reachable ...").
//  - `outcome_unknown` is true only for a write that was sent and whose answer was lost (the
//    connection broke, the deadline passed, "leader changed"): it may or may not have been
//    applied, and the client did not retry it. Every other failed write was not applied.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace regent::client {

// gRPC's status codes, with gRPC's numbers, so that the public headers need no gRPC header.
enum class Code : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// gRPC's name of a code: "Unavailable", "OutOfRange", ...
std::string_view code_name(Code code);

struct Error {
  Code code = Code::kUnknown;
  std::string message;
  std::string endpoint;          // The endpoint that answered or failed; empty if none was tried.
  bool outcome_unknown = false;  // See the invariants above.
  int64_t compact_revision = 0;  // A watch ended by compaction: the oldest revision still kept.

  // "message (Code at endpoint)", for logs; etcdctl-style output prints `message` alone.
  std::string describe() const;

  // etcd's well-known failures, matched on its message text as etcd's own clients do.
  bool is_compacted() const;        // "... required revision has been compacted"
  bool is_future_revision() const;  // "... required revision is a future revision"
  bool is_lease_not_found() const;  // "etcdserver: requested lease not found"
  bool is_no_leader() const;        // "etcdserver: no leader"
};

template <class T>
using Result = Expected<T, Error>;

inline Unexpected<Error> fail(Code code, std::string message) {
  return Unexpected<Error>{Error{.code = code, .message = std::move(message)}};
}
inline Unexpected<Error> fail(Error error) { return Unexpected<Error>{std::move(error)}; }

}  // namespace regent::client
