// Range: which keys, at which revision, filtered, sorted and limited as etcd's applier does.
#include <algorithm>
#include <limits>
#include <vector>

#include "kv/store.h"
#include "kv/validate.h"

namespace regent::kv {

namespace {

using SortOrder = RangeRequest::SortOrder;
using SortTarget = RangeRequest::SortTarget;

bool has_filters(const RangeRequest& r) {
  return r.min_mod_revision != 0 || r.max_mod_revision != 0 || r.min_create_revision != 0 ||
         r.max_create_revision != 0;
}

bool filtered_out(const RangeRequest& r, const KeyValue& kv) {
  return (r.max_mod_revision != 0 && kv.mod_revision > r.max_mod_revision) ||
         (r.min_mod_revision != 0 && kv.mod_revision < r.min_mod_revision) ||
         (r.max_create_revision != 0 && kv.create_revision > r.max_create_revision) ||
         (r.min_create_revision != 0 && kv.create_revision < r.min_create_revision);
}

// -1, 0 or 1 as a sorts before, with or after b by `target`.
int compare_by(SortTarget target, const KeyValue& a, const KeyValue& b) {
  auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
  switch (target) {
    case SortTarget::kKey:
      return cmp(a.key, b.key);
    case SortTarget::kVersion:
      return cmp(a.version, b.version);
    case SortTarget::kCreate:
      return cmp(a.create_revision, b.create_revision);
    case SortTarget::kMod:
      return cmp(a.mod_revision, b.mod_revision);
    case SortTarget::kValue:
      return cmp(a.value, b.value);
  }
  return 0;
}

// etcd sorts ascending by a target other than the key even when no order is asked for. Ties
// keep key order (etcd's sort is not stable; a replicated answer must be deterministic).
void sort_kvs(const RangeRequest& r, std::vector<KeyValue>& kvs) {
  SortOrder order = r.sort_order;
  if (r.sort_target != SortTarget::kKey && order == SortOrder::kNone) order = SortOrder::kAscend;
  if (order == SortOrder::kNone) return;
  const int sign = order == SortOrder::kDescend ? -1 : 1;
  std::stable_sort(kvs.begin(), kvs.end(), [&](const KeyValue& a, const KeyValue& b) {
    return sign * compare_by(r.sort_target, a, b) < 0;
  });
}

}  // namespace

Expected<RangeResponse, Error> Store::range(const RangeRequest& r) const {
  if (auto range = check_range_request(r); !range) return unexpected(range.error());
  auto at = read_revision(r.revision);
  if (!at) return unexpected(at.error());
  return apply_range(r, *at, revision_);
}

// Like etcd: without a sort order or filters, only limit + 1 keys are fetched (in key order)
// before sorting by the target, so the limit applies to key order; otherwise all are fetched,
// filtered and sorted, then limited. `count` is every key in the range at `at`.
RangeResponse Store::apply_range(const RangeRequest& r, int64_t at, int64_t view) const {
  const bool fetch_all = r.sort_order != SortOrder::kNone || has_filters(r) || r.limit <= 0;
  const uint64_t fetch =
      fetch_all ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(r.limit) + 1;
  // keys_only drops values, but only after they have served a sort by value.
  const bool values = !r.keys_only || r.sort_target == SortTarget::kValue;
  RangeResponse resp{.revision = view};
  std::vector<KeyValue> kvs;
  for_each(KeyRange::checked(r.key, r.range_end), [&](const std::string& key, const KeyIndex& k) {
    const Record* rec = k.get(at);
    if (rec == nullptr) return;
    ++resp.count;
    if (!r.count_only && kvs.size() < fetch) kvs.push_back(to_key_value(key, *rec, values));
  });
  if (r.count_only) return resp;
  std::erase_if(kvs, [&](const KeyValue& kv) { return filtered_out(r, kv); });
  sort_kvs(r, kvs);
  if (r.limit > 0 && kvs.size() > static_cast<uint64_t>(r.limit)) {
    kvs.resize(static_cast<size_t>(r.limit));
    resp.more = true;
  }
  if (r.keys_only) {
    for (KeyValue& kv : kvs) kv.value.clear();
  }
  resp.kvs = std::move(kvs);
  return resp;
}

}  // namespace regent::kv
