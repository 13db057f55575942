// The auth store's refusals, as etcd's rpctypes words and codes them: etcdctl prints these and
// clients match on them. A refusal is a value of the store's error type because an auth change
// answers through the same path as every other write (state_machine.h).
#pragma once

#include <string_view>

#include "kv/errors.h"

namespace regent::server::auth_error {

// FailedPrecondition in etcd (kv::ErrorCode::kAuthRefused).
inline constexpr std::string_view kRootUserNotExist = "etcdserver: root user does not exist";
inline constexpr std::string_view kRootRoleNotExist =
    "etcdserver: root user does not have root role";
inline constexpr std::string_view kUserAlreadyExist = "etcdserver: user name already exists";
inline constexpr std::string_view kUserNotFound = "etcdserver: user name not found";
inline constexpr std::string_view kRoleAlreadyExist = "etcdserver: role name already exists";
inline constexpr std::string_view kRoleNotFound = "etcdserver: role name not found";
inline constexpr std::string_view kRoleNotGranted = "etcdserver: role is not granted to the user";
inline constexpr std::string_view kPermissionNotGranted =
    "etcdserver: permission is not granted to the role";
// InvalidArgument in etcd (kv::ErrorCode::kInvalidArgument).
inline constexpr std::string_view kUserEmpty = "etcdserver: user name is empty";
inline constexpr std::string_view kRoleEmpty = "etcdserver: role name is empty";
inline constexpr std::string_view kPermissionNotGiven = "etcdserver: permission not given";
// Deleting root, or taking the root role from it, while auth is enabled.
inline constexpr std::string_view kInvalidAuthMgmt = "etcdserver: invalid auth management";
inline constexpr std::string_view kAuthFailed =
    "etcdserver: authentication failed, invalid user ID or password";
// Unknown in etcd (auth.ErrNoPasswordUser, not one of rpctypes'): a password given for a user
// added with --no-password, which authenticates only by its certificate's Common Name.
inline constexpr std::string_view kNoPasswordUser =
    "auth: authentication failed, password was given for no password user";
// The caller's rights were looked up before an auth change that applied first: ask again.
inline constexpr std::string_view kAuthOldRevision = "etcdserver: revision of auth store is old";
// FailedPrecondition in etcd.
inline constexpr std::string_view kAuthNotEnabled = "etcdserver: authentication is not enabled";
// PermissionDenied in etcd (kv::ErrorCode::kPermissionDenied).
inline constexpr std::string_view kPermissionDenied = "etcdserver: permission denied";
// Unauthenticated in etcd: a token this member does not know, or one that expired.
inline constexpr std::string_view kInvalidAuthToken = "etcdserver: invalid auth token";

inline kv::Error refused(std::string_view message) {
  return kv::Error{kv::ErrorCode::kAuthRefused, std::string(message)};
}
inline kv::Error invalid(std::string_view message) { return kv::invalid_argument(message); }
inline kv::Error denied() {
  return kv::Error{kv::ErrorCode::kPermissionDenied, std::string(kPermissionDenied)};
}

}  // namespace regent::server::auth_error
