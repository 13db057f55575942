#include "kv/revision_index.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/assert.h"

namespace regent::kv {

void RevisionIndex::add(Revision rev, std::string_view key) {
  REGENT_ASSERT(entries_.empty() || entries_.rbegin()->first < rev,
                "revision {}.{} indexed out of order", rev.main, rev.sub);
  entries_.emplace_hint(entries_.end(), rev, std::string(key));
}

void RevisionIndex::compact(int64_t at) { entries_.erase(entries_.begin(), from(at)); }

RevisionIndex RevisionIndex::rebuild(const KeyMap& keys, int64_t compacted) {
  RevisionIndex index;
  for (const auto& [key, history] : keys) {
    for (const Record& r : history.records()) {
      // A bad image may hold two records at one revision: the store's own check reports it.
      if (r.rev.main >= compacted) index.entries_.emplace(r.rev, key);
    }
  }
  return index;
}

const Record* find_record(const KeyIndex& index, Revision rev, const Record** prev) {
  const std::vector<Record>& records = index.records();
  auto it = std::lower_bound(records.begin(), records.end(), rev,
                             [](const Record& r, Revision v) { return r.rev < v; });
  if (prev != nullptr) *prev = it == records.begin() ? nullptr : &*std::prev(it);
  return it != records.end() && it->rev == rev ? &*it : nullptr;
}

std::string RevisionIndex::check(const KeyMap& keys, int64_t compacted) const {
  size_t indexed_records = 0;
  for (const auto& [rev, key] : entries_) {
    if (rev.main < compacted)
      return fmt::format("revision {} indexed below the compaction", rev.main);
    auto it = keys.find(key);
    const Record* r = it == keys.end() ? nullptr : find_record(it->second, rev);
    if (r != nullptr) {
      ++indexed_records;
      continue;
    }
    // Only a delete at the compacted revision may have lost its record.
    if (rev.main != compacted) {
      return fmt::format("revision {}.{} indexed for {:?}, which did not change then", rev.main,
                         rev.sub, key);
    }
    if (it != keys.end() && !it->second.records().empty() &&
        it->second.records().front().rev.main <= compacted) {
      return fmt::format("{:?} indexed as deleted at {} but kept at {}", key, compacted,
                         it->second.records().front().rev.main);
    }
  }
  size_t records = 0;
  for (const auto& [key, history] : keys) {
    for (const Record& r : history.records()) records += r.rev.main >= compacted ? 1 : 0;
  }
  if (records != indexed_records) {
    return fmt::format("{} records at or after revision {}, {} indexed", records, compacted,
                       indexed_records);
  }
  return "";
}

}  // namespace regent::kv
