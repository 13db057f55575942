// Txn compares, as etcd's applier evaluates them.
#include "kv/store.h"

namespace regent::kv {

namespace {

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// The key as `r` holds it, compared with the compare's operand. A missing key is a zero
// KeyValue: version, revisions and lease 0, empty value.
bool compare_record(const Compare& c, const Record& r) {
  int order = 0;
  switch (c.target) {
    case Compare::Target::kVersion:
      order = three_way(r.version, c.version);
      break;
    case Compare::Target::kCreate:
      order = three_way(r.create_revision, c.create_revision);
      break;
    case Compare::Target::kMod:
      order = three_way(r.rev.main, c.mod_revision);
      break;
    case Compare::Target::kValue:
      order = three_way(r.value, c.value);
      break;
    case Compare::Target::kLease:
      order = three_way(r.lease, c.lease);
      break;
  }
  switch (c.result) {
    case Compare::Result::kEqual:
      return order == 0;
    case Compare::Result::kNotEqual:
      return order != 0;
    case Compare::Result::kGreater:
      return order > 0;
    case Compare::Result::kLess:
      return order < 0;
  }
  return true;  // etcd: an unknown result holds.
}

}  // namespace

// Holds when every key of the range satisfies it. On a range with no key, a VALUE compare
// fails (etcd: a missing value cannot be told from an empty one); others see a zero KeyValue.
bool Store::compare_holds(const Compare& c) const {
  bool any = false;
  bool all = true;
  for_each(KeyRange::checked(c.key, c.range_end), [&](const std::string&, const KeyIndex& k) {
    const Record* r = k.latest();
    if (r == nullptr) return;
    any = true;
    all = all && compare_record(c, *r);
  });
  if (!any) return c.target != Compare::Target::kValue && compare_record(c, Record{});
  return all;
}

}  // namespace regent::kv
