// The tail of the log not yet handed to stable storage (entries appended by this node or received
// from the leader), and a snapshot received but not yet persisted.
//
// Invariants: if snapshot is set, offset == snapshot->metadata.index + 1; entries[k] has index
// offset + k.
#pragma once

#include <optional>
#include <vector>

#include "raft/types.h"

namespace regent::raft {

class Unstable {
 public:
  explicit Unstable(Index offset) : offset_(offset) {}

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

  // Entries [lo, hi), which must lie within [offset, offset + entries.size()].
  std::vector<Entry> slice(Index lo, Index hi) const;

  Index offset() const { return offset_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }

 private:
  std::optional<Snapshot> snapshot_;
  std::vector<Entry> entries_;
  Index offset_;
};

}  // namespace regent::raft
