// The log as the protocol sees it: stable storage (read-only) followed by the unstable tail, plus
// the commit and applied indexes.
//
// Invariants: applied <= committed; committed <= last_index() once the leader's commit has been
// applied to a follower's matching log (commit_to asserts it); first_index() - 1 <= applied.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "raft/log/storage.h"
#include "raft/log/unstable.h"
#include "raft/types.h"

namespace regent::raft {

class RaftLog {
 public:
  // max_applying_bytes bounds the committed entries handed out in one batch.
  RaftLog(const LogStorage* storage, Logger* logger, uint64_t max_applying_bytes);

  // Follower side of the append consistency check (Raft §5.3): if the entry at `index` has term
  // `log_term`, appends `ents` (dropping the ones already held, truncating from the first
  // conflict), commits up to min(committed, last new index) and returns the last new index.
  // Returns nullopt when the check fails. Truncating a committed entry is a broken invariant.
  std::optional<Index> maybe_append(Index index, Term log_term, Index committed,
                                    const std::vector<Entry>& ents);

  // Appends to the unstable tail (leader side). Returns the new last index.
  // The first entry must not be at or before committed.
  Index append(const std::vector<Entry>& ents);

  // The index of the first entry whose term differs from what we hold (or which we do not hold),
  // or 0 if every entry is already held identically.
  Index find_conflict(const std::vector<Entry>& ents) const;

  // Fast backtracking: the largest index <= `index` whose term is <= `term`, and that term. Used
  // both by a follower to hint where the leader should retry, and by the leader to skip over a
  // whole term of the follower's log in one round trip.
  std::pair<Index, Term> find_conflict_by_term(Index index, Term term) const;

  // Entries not yet persisted (to go into the next Ready).
  const std::vector<Entry>& unstable_entries() const { return unstable_.entries(); }
  // What the next Ready hands out to persist: entries and snapshot not handed out yet (earlier
  // Readys may still be writing theirs); accept_unstable() marks them handed out.
  std::vector<Entry> entries_to_persist() const { return unstable_.entries_to_persist(); }
  bool has_entries_to_persist() const { return unstable_.has_entries_to_persist(); }
  const Snapshot* snapshot_to_persist() const { return unstable_.snapshot_to_persist(); }
  void accept_unstable() { unstable_.accept_in_progress(); }
  // Committed entries not yet handed out for applying, limited to max_applying_bytes (at least
  // one entry if any); accept_applying() marks them handed out (applied_to() reports them done).
  std::vector<Entry> next_committed_entries() const;
  bool has_next_committed_entries() const;
  void accept_applying(Index i) { applying_ = std::max(applying_, i); }
  // The unstable snapshot, if any, to be persisted and applied.
  const std::optional<Snapshot>& unstable_snapshot() const { return unstable_.snapshot(); }

  Expected<Snapshot, StorageError> snapshot() const;

  Index first_index() const;
  Index last_index() const;
  Term last_term() const;
  // Term of entry i; 0 for i outside [first_index() - 1, last_index()] is NOT returned: the
  // error says whether it was compacted or is not yet there.
  Expected<Term, StorageError> term(Index i) const;
  // Like term(), but 0 for any index it cannot answer for (used where "no such entry" and
  // "term 0" mean the same: the check then simply fails).
  Term zero_term_on_error(Index i) const;
  bool match_term(Index i, Term t) const;

  // Entries from i to the end, at most max_bytes (at least one).
  Expected<std::vector<Entry>, StorageError> entries(Index i, uint64_t max_bytes) const;
  // Entries [lo, hi), at most max_bytes (at least one if lo < hi).
  Expected<std::vector<Entry>, StorageError> slice(Index lo, Index hi, uint64_t max_bytes) const;
  // Every entry from first_index() to last_index() (tests and invariant checks only).
  std::vector<Entry> all_entries() const;

  // Raft §5.4.1: a candidate whose last entry is (lasti, term) is at least as up to date.
  bool is_up_to_date(Index lasti, Term term) const;

  // Leader commit rule (§5.4.2): commit up to max_index only if that entry is of `term`.
  bool maybe_commit(Index max_index, Term term);
  void commit_to(Index i);
  // The host has applied the entries up to i.
  void applied_to(Index i);
  void stable_to(Index i, Term t) { unstable_.stable_to(i, t); }
  void stable_snapshot_to(Index i) { unstable_.stable_snapshot_to(i); }
  // Replaces the log with the snapshot (the follower's log did not contain its last entry).
  void restore(const Snapshot& snap);

  Index committed() const { return committed_; }
  Index applied() const { return applied_; }
  // "committed=5 applied=4 unstable.offset=6 len(unstable)=1"
  std::string describe() const;

 private:
  // Checks lo <= hi and [lo, hi) within [first_index(), last_index() + 1].
  std::optional<StorageError> must_check_out_of_bounds(Index lo, Index hi) const;

  const LogStorage* storage_;
  Logger* logger_;
  Unstable unstable_;
  Index committed_ = 0;
  Index applied_ = 0;
  Index applying_ = 0;  // Handed out to apply: applied_ <= applying_ <= committed_.
  uint64_t max_applying_bytes_;
};

}  // namespace regent::raft
