// The store's lease operations (grant, revoke, checkpoint) and invariant 5 of store.h. Puts and
// deletes keep the attachments up to date themselves (store.cc), so that a key is attached to
// the lease its current version names and to no other.
#include <fmt/format.h>

#include "kv/store.h"

namespace regent::kv {

Expected<LeaseGrantResponse, Error> Store::lease_grant(const LeaseGrantRequest& r) {
  // etcd's lessor: ID 0 means "no lease", so it cannot be granted.
  if (r.id == 0) return unexpected(lease_not_found());
  if (r.ttl > kMaxLeaseTtl) return unexpected(lease_ttl_too_large());
  // etcd raises a short TTL to its minimum; the server does so before proposing (the minimum
  // depends on its election timeout), so that every member stores the same TTL.
  if (r.ttl < 1) return unexpected(invalid_argument("etcdserver: lease TTL must be positive"));
  if (leases_.contains(r.id)) return unexpected(lease_exists());
  leases_.add(r.id, r.ttl, 0);
  return LeaseGrantResponse{.revision = revision_, .id = r.id, .ttl = r.ttl};
}

Expected<LeaseRevokeResponse, Error> Store::lease_revoke(const LeaseRevokeRequest& r) {
  if (!leases_.contains(r.id)) return unexpected(lease_not_found());
  // Forgotten first, so the deletes below find no lease to detach from; they go through
  // apply_delete like any delete, in key order (etcd sorts them too), in one write.
  const std::vector<std::string> keys = leases_.remove(r.id);
  Write w = begin_write();
  for (const std::string& key : keys) apply_delete(DeleteRangeRequest{.key = key}, w);
  finish(w);
  return LeaseRevokeResponse{.revision = revision_};
}

Expected<LeaseCheckpointResponse, Error> Store::lease_checkpoint(const LeaseCheckpointRequest& r) {
  // A checkpoint of a lease revoked meanwhile is no error (etcd ignores it too).
  for (const LeaseCheckpoint& c : r.checkpoints) leases_.set_remaining(c.id, c.remaining_ttl);
  return LeaseCheckpointResponse{.revision = revision_};
}

std::string Store::find_lease_problem() const {
  for (const auto& [id, lease] : leases_.all()) {
    if (id == 0 || lease.id != id || lease.ttl < 1 || lease.ttl > kMaxLeaseTtl ||
        lease.remaining_ttl < 0) {
      return fmt::format("lease {} (TTL {}, remaining {})", id, lease.ttl, lease.remaining_ttl);
    }
    for (const std::string& key : lease.keys) {
      auto it = keys_.find(key);
      const Record* cur = it == keys_.end() ? nullptr : it->second.latest();
      if (cur == nullptr || cur->lease != id) {
        return fmt::format("lease {} holds key {:?}, which does not point back", id, key);
      }
    }
  }
  for (const auto& [key, index] : keys_) {
    const Record* cur = index.latest();
    if (cur == nullptr || cur->lease == 0) continue;
    const Lease* lease = leases_.find(cur->lease);
    if (lease == nullptr || !lease->keys.contains(key)) {
      return fmt::format("key {:?} names lease {}, which does not hold it", key, cur->lease);
    }
  }
  return "";
}

}  // namespace regent::kv
