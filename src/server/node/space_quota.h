// The space quota (--quota-backend-bytes, etcd's backend quota): a write that would take the
// store's size in use (kv::Store::bytes_in_use(), the state, not the log) beyond the quota is
// refused before it is proposed, and the member raises a NOSPACE alarm through the log, so that
// every member then refuses such writes at apply (alarm_set.h) until an operator makes room
// (compact, defragment) and disarms. Only what needs space is weighed: puts (also inside txns)
// and lease grants; deletes and compaction must work when the quota is spent.
#pragma once

#include <cstdint>

#include "regentpb/request.pb.h"

namespace regent::server {

inline constexpr uint64_t kDefaultQuotaBytes = uint64_t{2} << 30;  // etcd's default: 2 GiB.

// What `request` adds to the store's size in use at most (kv/store_weight.h's weights); 0 for a
// request that takes no space.
uint64_t space_cost(const regentpb::InternalRequest& request);

// Whether a store of `in_use` bytes has room for `request` under `quota_bytes` (0: no quota).
inline bool has_room(uint64_t quota_bytes, uint64_t in_use,
                     const regentpb::InternalRequest& request) {
  const uint64_t cost = space_cost(request);
  return quota_bytes == 0 || cost == 0 || in_use + cost <= quota_bytes;
}

// --quota-backend-bytes as etcd reads it: 0 is the default, a negative value turns the quota off
// (returns 0, "no quota").
uint64_t quota_from_flag(int64_t flag);

}  // namespace regent::server
