// The store's history as events, for watchers: every change in a key range between two
// revisions, in (revision, sub) order, read through the revision index.
#include "common/assert.h"
#include "kv/store.h"

namespace regent::kv {

namespace {

KeyValue deleted_key_value(std::string_view key, int64_t revision) {
  return KeyValue{.key = std::string(key), .mod_revision = revision};
}

}  // namespace

Event Store::event_at(Revision rev, const std::string& key, bool with_prev_kv) const {
  auto it = keys_.find(key);
  const Record* prev = nullptr;
  const Record* r = it == keys_.end() ? nullptr : find_record(it->second, rev, &prev);
  if (r == nullptr) {
    // A delete at the compacted revision whose tombstone compaction dropped (revision_index.h);
    // what the key held before is compacted too.
    REGENT_ASSERT(rev.main == compact_revision_, "revision {}.{} of {:?} is not kept", rev.main,
                  rev.sub, key);
    return Event{.type = Event::Type::kDelete, .kv = deleted_key_value(key, rev.main)};
  }
  Event e;
  if (r->tombstone) {
    e.type = Event::Type::kDelete;
    e.kv = deleted_key_value(key, rev.main);
  } else {
    e.kv = to_key_value(key, *r);
  }
  // The record before is what a read at rev.main - 1 sees, unless it is a tombstone.
  if (with_prev_kv && prev != nullptr && !prev->tombstone) e.prev_kv = to_key_value(key, *prev);
  return e;
}

Expected<std::vector<Event>, Error> Store::events(const KeyRange& range, int64_t from, int64_t to,
                                                  size_t limit, bool with_prev_kv,
                                                  size_t max_bytes) const {
  if (from < compact_revision_) return unexpected(compacted());
  if (to <= 0 || to > revision_) to = revision_;
  std::vector<Event> out;
  size_t bytes = 0;
  for (auto it = revisions_.from(from); it != revisions_.end() && it->first.main <= to; ++it) {
    const auto& [rev, key] = *it;
    // Whole revisions only: stop at the first change of a revision after a limit is reached.
    const bool full = (limit > 0 && out.size() >= limit) || (max_bytes > 0 && bytes >= max_bytes);
    if (full && rev.main > out.back().kv.mod_revision) break;
    if (!range.contains(key)) continue;
    out.push_back(event_at(rev, key, with_prev_kv));
    bytes += event_bytes(out.back());
  }
  return out;
}

}  // namespace regent::kv
