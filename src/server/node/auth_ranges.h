// Whether a set of key-range permissions covers a request's keys, as etcd's auth store decides
// it (auth/range_perm_cache.go): a request on [key, range_end) is allowed only if the union of the
// permissions that grant the access covers every key of it, not merely overlaps it.
//
// Ranges follow etcd's range requests: an empty range_end means the one key `key`; a range_end
// of one zero byte means every key from `key` on. A request whose range_end is not above its
// key names no key in etcd's store; it is checked as the single key `key`, which refuses no less.
#pragma once

#include <string_view>
#include <vector>

#include "regentpb/auth.pb.h"

namespace regent::server {

// Whether a permission of type `have` grants `need` (READWRITE grants both).
bool grants(regentpb::AuthPermissionType have, regentpb::AuthPermissionType need);

// Whether the union of those `permissions` that grant `need` covers [key, range_end).
bool covers(const std::vector<const regentpb::AuthPermission*>& permissions,
            regentpb::AuthPermissionType need, std::string_view key, std::string_view range_end);

}  // namespace regent::server
