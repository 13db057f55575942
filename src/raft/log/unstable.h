// The tail of the log not yet persisted (entries appended by this node or received from the
// leader), and a snapshot received but not yet persisted. Part of it may be in progress: handed to
// the host in a Ready whose write has not been reported done (several may be outstanding).
//
// Invariants: if snapshot is set, offset == snapshot->metadata.index + 1; entries[k] has index
// offset + k; offset <= in_progress <= offset + entries.size() (entries before in_progress were
// handed out already; a truncation below it takes the mark back, so replaced entries are handed
// out again).
#pragma once

#include <optional>
#include <vector>

#include "raft/types.h"

namespace regent::raft {

class Unstable {
 public:
  explicit Unstable(Index offset) : offset_(offset), in_progress_(offset) {}

  // First index if a snapshot is pending (its index + 1).
  std::optional<Index> maybe_first_index() const;
  // Last index of the unstable entries, or of the pending snapshot.
  std::optional<Index> maybe_last_index() const;
  // Term of entry i if unstable knows it (an unstable entry, or the pending snapshot's index).
  std::optional<Term> maybe_term(Index i) const;

  // Entries up to (i, t) were persisted: drop them, unless the entry at i has since been
  // replaced by one with another term (then the persisted one is stale and nothing is dropped).
  void stable_to(Index i, Term t);
  // The pending snapshot at index i was persisted.
  void stable_snapshot_to(Index i);

  void restore(const Snapshot& snap);
  // Appends entries, truncating any unstable entries at or after the first new index. If the
  // first new index is before offset, the unstable tail is replaced from there (the caller has
  // checked that stable storage will be overwritten correspondingly).
  void truncate_and_append(const std::vector<Entry>& ents);

  // The entries and snapshot not yet handed to the host, and marking them handed out.
  std::vector<Entry> entries_to_persist() const;
  bool has_entries_to_persist() const { return in_progress_ < offset_ + entries_.size(); }
  const Snapshot* snapshot_to_persist() const {
    return snapshot_ && !snapshot_in_progress_ ? &*snapshot_ : nullptr;
  }
  void accept_in_progress();

  // Entries [lo, hi), which must lie within [offset, offset + entries.size()].
  std::vector<Entry> slice(Index lo, Index hi) const;

  Index offset() const { return offset_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }

 private:
  std::optional<Snapshot> snapshot_;
  std::vector<Entry> entries_;
  Index offset_;
  Index in_progress_;  // First entry not yet handed out.
  bool snapshot_in_progress_ = false;
};

}  // namespace regent::raft
