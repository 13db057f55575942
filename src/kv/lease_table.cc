#include "kv/lease_table.h"

#include "common/assert.h"

namespace regent::kv {

const Lease* LeaseTable::find(int64_t id) const {
  auto it = leases_.find(id);
  return it == leases_.end() ? nullptr : &it->second;
}

void LeaseTable::add(int64_t id, int64_t ttl, int64_t remaining_ttl) {
  REGENT_ASSERT(id != 0 && ttl >= 1 && ttl <= kMaxLeaseTtl && remaining_ttl >= 0,
                "unchecked lease {} (TTL {}, remaining {})", id, ttl, remaining_ttl);
  auto [it, added] = leases_.try_emplace(id, Lease{.id = id, .ttl = ttl});
  REGENT_ASSERT(added, "lease {} granted twice", id);
  it->second.remaining_ttl = remaining_ttl;
}

std::vector<std::string> LeaseTable::remove(int64_t id) {
  auto node = leases_.extract(id);
  if (node.empty()) return {};
  const auto& keys = node.mapped().keys;
  return std::vector<std::string>(keys.begin(), keys.end());
}

void LeaseTable::set_remaining(int64_t id, int64_t remaining_ttl) {
  auto it = leases_.find(id);
  if (it != leases_.end()) it->second.remaining_ttl = remaining_ttl < 0 ? 0 : remaining_ttl;
}

void LeaseTable::move(std::string_view key, int64_t from, int64_t to) {
  if (from == to) return;
  if (from != 0) {
    auto it = leases_.find(from);
    if (it != leases_.end()) {
      auto k = it->second.keys.find(key);
      if (k != it->second.keys.end()) it->second.keys.erase(k);
    }
  }
  if (to != 0) {
    auto it = leases_.find(to);
    REGENT_ASSERT(it != leases_.end(), "key attached to lease {}, which does not exist", to);
    it->second.keys.emplace(key);
  }
}

}  // namespace regent::kv
