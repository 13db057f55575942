// Expected outcomes of the key-value store: values, never exceptions. The messages are etcd's,
// word for word, because clients match on them (server/ prefixes "etcdserver: " where etcd's
// gRPC layer does, e.g. "etcdserver: mvcc: required revision has been compacted").
#pragma once

#include <string>
#include <string_view>

namespace regent::kv {

enum class ErrorCode {
  kInvalidArgument,  // A malformed request; nothing was changed.
  kKeyNotFound,      // ignore_value / ignore_lease on a key that does not exist.
  kFutureRevision,   // A revision the store has not reached.
  kCompacted,        // A revision compaction has removed.
  kCorruptImage,     // restore() was given bytes that are not a valid image.
  kLeaseNotFound,    // A revoke, or a put attaching a key, names a lease that does not exist.
  kLeaseExists,      // A grant names the ID of a lease that exists.
  kTtlTooLarge,      // A lease grant's TTL is beyond kMaxLeaseTtl (lease_table.h).
  // Refused by the member's state machine while an alarm is raised (server/node/alarm_gate.h),
  // not by the store; here because a write's outcome is the store's error type.
  kNoSpace,  // NOSPACE: the space quota was exceeded.
  kCorrupt,  // CORRUPT: a member's state was found to differ from the others'.
  // Refused by the auth store (server/node/auth_store.h), etcd's FailedPrecondition ones: "user
  // name not found", "root user does not exist", ...; here for the same reason as the alarms.
  kAuthRefused,
  // The caller's role grants no access to the keys asked for, or the call needs the root role
  // (etcd's PermissionDenied); same reason.
  kPermissionDenied,
};

struct Error {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;

  bool operator==(const Error&) const = default;
};

inline constexpr std::string_view kEmptyKeyMessage = "etcdserver: key is not provided";
inline constexpr std::string_view kValueProvidedMessage = "etcdserver: value is provided";
inline constexpr std::string_view kLeaseProvidedMessage = "etcdserver: lease is provided";
inline constexpr std::string_view kDuplicateKeyMessage =
    "etcdserver: duplicate key given in txn request";
inline constexpr std::string_view kTooManyOpsMessage =
    "etcdserver: too many operations in txn request";
inline constexpr std::string_view kKeyNotFoundMessage = "etcdserver: key not found";
inline constexpr std::string_view kFutureRevisionMessage =
    "mvcc: required revision is a future revision";
inline constexpr std::string_view kCompactedMessage = "mvcc: required revision has been compacted";
// Leases: etcd's gRPC messages (rpctypes), which clients match on.
inline constexpr std::string_view kLeaseNotFoundMessage = "etcdserver: requested lease not found";
inline constexpr std::string_view kLeaseExistsMessage = "etcdserver: lease already exists";
inline constexpr std::string_view kLeaseTtlTooLargeMessage = "etcdserver: too large lease TTL";
inline constexpr std::string_view kNoSpaceMessage = "etcdserver: mvcc: database space exceeded";
inline constexpr std::string_view kCorruptMessage = "etcdserver: corrupt cluster";

Error invalid_argument(std::string_view message);
Error key_not_found();
Error future_revision();
Error compacted();
Error corrupt_image(std::string_view what);  // "kv: corrupt image: <what>"
Error lease_not_found();
Error lease_exists();
Error lease_ttl_too_large();
Error no_space();
Error corrupt();

std::string_view to_string(ErrorCode code);

}  // namespace regent::kv
