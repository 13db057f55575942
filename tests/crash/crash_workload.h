// The crash tests' workload: what a Raft follower's storage is asked to persist, as a pure
// function of (seed, batch number), and a Model of what the storage must hold after it.
//
// Batch b is what one Ready would hand the host: entries and a hard state, saved with one
// DiskStorage::save(), or (about every tenth batch) a compaction, create_snapshot() at the commit
// index. Entries mostly append at last + 1; about one batch in eight is a new leader's, with a
// higher term, overwriting the uncommitted tail from some index after the commit index (conflict
// truncation). The commit index never decreases, never passes the last index, and nothing at or
// before it is ever overwritten — the invariants a real follower's log keeps.
//
// Every entry's data (256 bytes) is derived from (seed, index, term), and a snapshot's data from
// (seed, index), so whatever is read back can be verified without remembering what was written.
//
// The writer (crash_writer_main.cc) reports batch b as synced only after save() returned. A
// SIGKILL can therefore leave, after the batches [0, done) it reported: all of them, plus any
// prefix of batch `done`'s entry records (the write may be torn, or complete but unreported), and
// batch `done`'s hard state only if all its entries made it (the hard state record is written
// after the entries, in the same write). check_recovered() says whether a recovered state is one
// of those.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "raft/types.h"

namespace regent::crash {

inline constexpr size_t kEntryDataBytes = 256;
inline constexpr size_t kMaxBatchEntries = 64;

enum class BatchKind {
  kAppend,      // Entries at last + 1 (sometimes in a new term), and a hard state.
  kConflict,    // A new leader's entries from some index in (commit, last]: the tail is replaced.
  kCommitOnly,  // No entries: the hard state alone moves (commit advances).
  kSnapshot,    // create_snapshot(snapshot_index = commit); no entries, the hard state unchanged.
};

std::string_view to_string(BatchKind kind);

struct Batch {
  uint64_t number = 0;
  BatchKind kind = BatchKind::kAppend;
  std::vector<raft::Entry> entries;  // Contiguous; empty for kCommitOnly and kSnapshot.
  raft::HardState hard_state;        // As it stands after the batch.
  raft::Index snapshot_index = 0;    // kSnapshot only.

  raft::Index first_entry_index() const { return entries.empty() ? 0 : entries.front().index; }
};

std::string entry_data(uint64_t seed, raft::Index index, raft::Term term);
raft::Entry make_entry(uint64_t seed, raft::Index index, raft::Term term);
std::string snapshot_data(uint64_t seed, raft::Index index);
raft::ConfState snapshot_conf_state();  // voters {1, 2, 3}

// Generates the batches of one seed in order, carrying only the log's shape from one to the next.
class Workload {
 public:
  explicit Workload(uint64_t seed) : seed_(seed) {}

  // Batch next_number(), then advances to the following one.
  Batch next();
  uint64_t next_number() const { return number_; }
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  uint64_t number_ = 0;
  raft::Index last_ = 0;
  raft::Term term_ = 0;
  raft::Index commit_ = 0;
  raft::Index snapshot_ = 0;
};

// Batch `number` of `seed`: replays the batches before it (they decide the log's shape).
Batch make_batch(uint64_t seed, uint64_t number);

// What the storage must hold after some batches: every entry's term by index (its data follows
// from the seed), the hard state, the snapshot.
class Model {
 public:
  explicit Model(uint64_t seed) : seed_(seed) {}

  // Applies a whole batch; batches must come in order.
  void apply(const Batch& batch);
  // Applies only the first k entry records of batch (what a torn write may leave): no hard
  // state, no snapshot, and the batch does not count as applied.
  void apply_entries_prefix(const Batch& batch, size_t k);

  uint64_t seed() const { return seed_; }
  uint64_t batches_applied() const { return batches_applied_; }
  raft::Index last_index() const { return terms_.size(); }
  raft::Term term_at(raft::Index i) const;  // 0 for index 0; i <= last_index().
  raft::Entry entry(raft::Index i) const;   // 1 <= i <= last_index().
  const raft::HardState& hard_state() const { return hard_state_; }
  raft::Index snapshot_index() const { return snapshot_index_; }
  raft::Term snapshot_term() const { return term_at(snapshot_index_); }

 private:
  uint64_t seed_;
  uint64_t batches_applied_ = 0;
  std::vector<raft::Term> terms_;  // terms_[i - 1] is the term of entry i.
  raft::HardState hard_state_;
  raft::Index snapshot_index_ = 0;
};

// What a storage recovered, read through raft::LogStorage.
struct Recovered {
  raft::Index first_index = 0;
  raft::Index last_index = 0;
  std::vector<raft::Entry> entries;  // [first_index, last_index]
  raft::HardState hard_state;
  raft::Snapshot snapshot;
};

// Empty if `recovered` is a state the storage may hold after the writer reported the batches
// before next.number synced (`model` has applied exactly those) and was killed: the model plus a
// prefix of next's entries, with the model's hard state or (all entries present) next's, and the
// model's snapshot or next's. Otherwise, what is wrong, in words.
std::string check_recovered(const Recovered& recovered, const Model& model, const Batch& next);

}  // namespace regent::crash
