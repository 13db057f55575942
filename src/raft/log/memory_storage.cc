#include "raft/log/memory_storage.h"

#include <cstddef>
#include <iterator>
#include <span>

#include "common/assert.h"
#include "raft/log/limit_size.h"

namespace regent::raft {

// ents_ starts with the dummy entry at index 0, term 0: an empty log behaves as if it had a
// snapshot at index 0, so first_index() == 1 and term(0) == 0 match the leader's first append.
MemoryStorage::MemoryStorage() : ents_(1) {}

std::pair<HardState, ConfState> MemoryStorage::initial_state() const {
  return {hard_state_, snapshot_.metadata.conf_state};
}

Expected<std::vector<Entry>, StorageError> MemoryStorage::entries(Index lo, Index hi,
                                                                  uint64_t max_bytes) const {
  REGENT_ASSERT(lo <= hi, "invalid entries range [{}, {})", lo, hi);
  if (lo <= offset()) return unexpected(StorageError::kCompacted);
  if (hi > last_index() + 1) return unexpected(StorageError::kUnavailable);

  std::span<const Entry> wanted(ents_.begin() + static_cast<ptrdiff_t>(lo - offset()), hi - lo);
  size_t n = count_within_bytes(wanted, max_bytes);
  return std::vector<Entry>(wanted.begin(), wanted.begin() + static_cast<ptrdiff_t>(n));
}

Expected<Term, StorageError> MemoryStorage::term(Index i) const {
  if (i < offset()) return unexpected(StorageError::kCompacted);
  if (i > last_index()) return unexpected(StorageError::kUnavailable);
  return ents_[i - offset()].term;
}

Index MemoryStorage::first_index() const { return offset() + 1; }

Index MemoryStorage::last_index() const { return offset() + ents_.size() - 1; }

Expected<Snapshot, StorageError> MemoryStorage::snapshot() const { return snapshot_; }

std::optional<StorageError> MemoryStorage::apply_snapshot(const Snapshot& snap) {
  // An equal index is refused too: the held snapshot already covers it, and replacing it would
  // throw away the entries that follow.
  if (snap.metadata.index <= snapshot_.metadata.index) return StorageError::kCompacted;
  snapshot_ = snap;
  Entry dummy;
  dummy.term = snap.metadata.term;
  dummy.index = snap.metadata.index;
  ents_.assign(1, dummy);
  return std::nullopt;
}

Expected<SnapshotMetadata, StorageError> MemoryStorage::create_snapshot(Index i,
                                                                        const ConfState* cs,
                                                                        std::string data) {
  if (i <= snapshot_.metadata.index) return unexpected(StorageError::kCompacted);
  // compact() may have run past the last snapshot; the term of i is then gone.
  if (i < offset()) return unexpected(StorageError::kCompacted);
  REGENT_ASSERT(i <= last_index(), "snapshot {} is out of bound last_index({})", i, last_index());

  snapshot_.metadata.index = i;
  snapshot_.metadata.term = ents_[i - offset()].term;
  if (cs != nullptr) snapshot_.metadata.conf_state = *cs;
  snapshot_.data = std::move(data);
  return snapshot_.metadata;
}

std::optional<StorageError> MemoryStorage::compact(Index compact_index) {
  if (compact_index <= offset()) return StorageError::kCompacted;
  REGENT_ASSERT(compact_index <= last_index(), "compact {} is out of bound last_index({})",
                compact_index, last_index());

  // The entry at compact_index becomes the dummy: its index and term stay answerable so that an
  // append right after it can still be matched.
  auto first_kept = ents_.begin() + static_cast<ptrdiff_t>(compact_index - offset());
  ents_.erase(ents_.begin(), first_kept);
  ents_.front().data.clear();
  ents_.front().type = EntryType::kNormal;
  return std::nullopt;
}

void MemoryStorage::append(const std::vector<Entry>& entries) {
  const std::optional<size_t> skip = make_room_for(entries);
  if (!skip) return;
  ents_.insert(ents_.end(), entries.begin() + static_cast<ptrdiff_t>(*skip), entries.end());
}

void MemoryStorage::append(std::vector<Entry>&& entries) {
  const std::optional<size_t> skip = make_room_for(entries);
  if (!skip) return;
  ents_.insert(ents_.end(),
               std::make_move_iterator(entries.begin() + static_cast<ptrdiff_t>(*skip)),
               std::make_move_iterator(entries.end()));
}

std::optional<size_t> MemoryStorage::make_room_for(const std::vector<Entry>& entries) {
  if (entries.empty()) return std::nullopt;
  for (size_t k = 1; k < entries.size(); ++k) {
    REGENT_ASSERT(entries[k].index == entries[0].index + k,
                  "appended entries are not contiguous: index {} at position {} after {}",
                  entries[k].index, k, entries[0].index);
  }
  Index first = first_index();
  Index last = entries.back().index;
  if (last < first) return std::nullopt;  // Everything is already compacted.

  // Drop the entries that are already compacted.
  size_t skip = entries.front().index < first ? first - entries.front().index : 0;
  Index start = entries[skip].index;
  if (start > last_index() + 1) {
    REGENT_PANIC("missing log entry [last: {}, append at: {}]", last_index(), start);
  }
  // A new leader's log wins over the stored tail from `start` on.
  ents_.resize(start - offset());
  return skip;
}

}  // namespace regent::raft
