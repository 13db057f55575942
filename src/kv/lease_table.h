// The leases of the store: part of the replicated state, changed only by applied requests, so
// every member holds the same table. Time is not kept here: when a lease expires is decided by
// the leader (server/lease/lessor.h) and arrives as a revoke. What the table keeps is what a new
// leader needs to carry on: each lease's TTL, its last checkpointed remaining TTL, and the keys
// attached to it (revoking the lease deletes them).
//
// Invariants (Store::check_invariants() verifies them with the keys):
//   1. Every lease has an ID other than 0 (etcd's "no lease"), 1 <= TTL <= kMaxLeaseTtl and
//      0 <= remaining TTL (0: never checkpointed, or reset by a renewal: the full TTL).
//   2. A key is attached to lease L exactly when it exists now and its current version carries
//      lease L; so L exists for every existing key with a lease.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace regent::kv {

// etcd's MaxLeaseTTL, in seconds: a grant beyond it is refused ("too large lease TTL").
inline constexpr int64_t kMaxLeaseTtl = 9'000'000'000;

struct Lease {
  int64_t id = 0;
  int64_t ttl = 0;            // Seconds, as granted.
  int64_t remaining_ttl = 0;  // Seconds at the last checkpoint; 0: none (the full TTL).
  std::set<std::string, std::less<>> keys;  // Attached keys.

  bool operator==(const Lease&) const = default;
};

class LeaseTable {
 public:
  using Map = std::map<int64_t, Lease>;

  const Lease* find(int64_t id) const;
  bool contains(int64_t id) const { return leases_.contains(id); }
  const Map& all() const { return leases_; }
  size_t size() const { return leases_.size(); }

  // The caller checked the ID and TTL (Store::lease_grant, or the image decoder).
  void add(int64_t id, int64_t ttl, int64_t remaining_ttl);
  // Forgets the lease; returns the keys that were attached to it, in key order.
  std::vector<std::string> remove(int64_t id);
  // No-op for a lease that does not exist (a checkpoint may race with the revoke).
  void set_remaining(int64_t id, int64_t remaining_ttl);
  // The key's lease changes from `from` to `to`; 0 on either side: no lease.
  void move(std::string_view key, int64_t from, int64_t to);

  bool operator==(const LeaseTable&) const = default;

 private:
  Map leases_;
};

}  // namespace regent::kv
