#include "crash/crash_workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "common/assert.h"
#include "common/prng.h"

namespace regent::crash {
namespace {

// One well-mixed word from two: the seed of an independent PRNG stream per (a, b).
uint64_t mix(uint64_t a, uint64_t b) {
  Prng p(a ^ (b * 0x9E3779B97F4A7C15ULL));
  return p.next();
}

std::string describe(const raft::HardState& hs) {
  return fmt::format("{{term {}, vote {}, commit {}}}", hs.term, hs.vote, hs.commit);
}

std::string describe(const raft::Entry& e) {
  return fmt::format("{{index {}, term {}, type {}, {} bytes of data}}", e.index, e.term,
                     static_cast<int>(e.type), e.data.size());
}

// "batch 41's state", or "the fresh state" before any batch.
std::string state_name(const Model& m) {
  return m.batches_applied() == 0 ? std::string("the fresh state")
                                  : fmt::format("batch {}'s state", m.batches_applied() - 1);
}

// Empty if the recovered log is exactly the candidate's from recovered.first_index on.
std::string compare_log(const Recovered& r, const Model& candidate) {
  if (r.last_index != candidate.last_index()) {
    return fmt::format("last index {} (expected {})", r.last_index, candidate.last_index());
  }
  for (raft::Index i = r.first_index; i <= r.last_index; ++i) {
    const raft::Entry& got = r.entries[i - r.first_index];
    const raft::Entry want = candidate.entry(i);
    if (got != want) {
      return fmt::format("entry {} is {} (expected {}{})", i, describe(got), describe(want),
                         got.index == want.index && got.term == want.term ? ", data differs" : "");
    }
  }
  return {};
}

}  // namespace

std::string_view to_string(BatchKind kind) {
  switch (kind) {
    case BatchKind::kAppend:
      return "append";
    case BatchKind::kConflict:
      return "conflict";
    case BatchKind::kCommitOnly:
      return "commit-only";
    case BatchKind::kSnapshot:
      return "snapshot";
  }
  REGENT_PANIC("unknown BatchKind {}", static_cast<int>(kind));
}

std::string entry_data(uint64_t seed, raft::Index index, raft::Term term) {
  // A readable head, so that a mismatch in a hex dump says what it was; then PRNG bytes.
  std::string out = fmt::format("seed={} index={} term={};", seed, index, term);
  REGENT_ASSERT(out.size() < kEntryDataBytes, "entry head too long: {}", out);
  Prng p(mix(mix(seed, index), term));
  while (out.size() < kEntryDataBytes) {
    const uint64_t word = p.next();
    char bytes[sizeof(word)];
    std::memcpy(bytes, &word, sizeof(word));
    out.append(bytes, std::min(sizeof(word), kEntryDataBytes - out.size()));
  }
  return out;
}

raft::Entry make_entry(uint64_t seed, raft::Index index, raft::Term term) {
  return raft::Entry{term, index, raft::EntryType::kNormal, entry_data(seed, index, term)};
}

std::string snapshot_data(uint64_t seed, raft::Index index) {
  return fmt::format("state machine of seed {} at index {}", seed, index) +
         entry_data(seed, index, 0);
}

raft::ConfState snapshot_conf_state() {
  raft::ConfState cs;
  cs.voters = {1, 2, 3};
  return cs;
}

Batch Workload::next() {
  Prng prng(mix(seed_, number_));
  Batch b;
  b.number = number_++;
  if (b.number % 10 == 9 && commit_ > snapshot_) {
    b.kind = BatchKind::kSnapshot;
    b.snapshot_index = commit_;
    b.hard_state = raft::HardState{term_, raft::kNone, commit_};
    snapshot_ = commit_;
    return b;
  }
  raft::Index start = last_ + 1;
  size_t count = 0;
  if (last_ > commit_ && prng.chance(1, 8)) {
    // A new leader that lacks our uncommitted tail from `start` on.
    b.kind = BatchKind::kConflict;
    ++term_;
    start = prng.between(commit_ + 1, last_);
    count = prng.between(1, kMaxBatchEntries);
  } else if (b.number > 0 && prng.chance(1, 16)) {
    b.kind = BatchKind::kCommitOnly;
  } else {
    b.kind = BatchKind::kAppend;
    if (term_ == 0 || prng.chance(1, 16)) ++term_;  // A new leader that has our whole log.
    count = prng.between(1, kMaxBatchEntries);
  }
  for (size_t k = 0; k < count; ++k) b.entries.push_back(make_entry(seed_, start + k, term_));
  if (count > 0) last_ = start + count - 1;
  REGENT_ASSERT(commit_ <= last_, "commit {} beyond last {}", commit_, last_);
  commit_ = prng.between(commit_, last_);
  b.hard_state = raft::HardState{term_, raft::kNone, commit_};
  return b;
}

Batch make_batch(uint64_t seed, uint64_t number) {
  Workload w(seed);
  while (w.next_number() < number) w.next();
  return w.next();
}

void Model::apply(const Batch& batch) {
  REGENT_ASSERT(batch.number == batches_applied_, "batch {} applied after {} batches", batch.number,
                batches_applied_);
  REGENT_ASSERT(batch.hard_state.commit >= hard_state_.commit, "commit regresses in batch {}",
                batch.number);
  apply_entries_prefix(batch, batch.entries.size());
  if (batch.kind == BatchKind::kSnapshot) {
    REGENT_ASSERT(
        batch.snapshot_index > snapshot_index_ && batch.snapshot_index <= hard_state_.commit,
        "snapshot at {} (snapshot {}, commit {})", batch.snapshot_index, snapshot_index_,
        hard_state_.commit);
    snapshot_index_ = batch.snapshot_index;
  }
  hard_state_ = batch.hard_state;
  REGENT_ASSERT(hard_state_.commit <= last_index(), "commit {} beyond last {}", hard_state_.commit,
                last_index());
  ++batches_applied_;
}

void Model::apply_entries_prefix(const Batch& batch, size_t k) {
  REGENT_ASSERT(k <= batch.entries.size(), "prefix {} of {} entries", k, batch.entries.size());
  if (k == 0) return;
  const raft::Index start = batch.entries.front().index;
  REGENT_ASSERT(start >= 1 && start <= last_index() + 1, "batch {} starts at {}, last is {}",
                batch.number, start, last_index());
  REGENT_ASSERT(start > hard_state_.commit, "batch {} overwrites committed index {}", batch.number,
                start);
  terms_.resize(start - 1);
  for (size_t j = 0; j < k; ++j) {
    REGENT_ASSERT(batch.entries[j].index == start + j, "batch {} is not contiguous", batch.number);
    terms_.push_back(batch.entries[j].term);
  }
}

raft::Term Model::term_at(raft::Index i) const {
  REGENT_ASSERT(i <= last_index(), "term_at({}) beyond last {}", i, last_index());
  return i == 0 ? 0 : terms_[i - 1];
}

raft::Entry Model::entry(raft::Index i) const {
  REGENT_ASSERT(i >= 1 && i <= last_index(), "entry({}) outside [1, {}]", i, last_index());
  return make_entry(seed_, i, terms_[i - 1]);
}

std::string check_recovered(const Recovered& r, const Model& model, const Batch& next) {
  REGENT_ASSERT(next.number == model.batches_applied(), "batch {} after {} batches", next.number,
                model.batches_applied());
  Model full = model;
  full.apply(next);

  // The log's shape first, so that the comparisons below index safely.
  if (r.first_index < 1 || r.first_index > r.snapshot.metadata.index + 1) {
    return fmt::format("first index {} with snapshot at {}: a gap or a lost entry", r.first_index,
                       r.snapshot.metadata.index);
  }
  if (r.last_index + 1 < r.first_index || r.entries.size() != r.last_index + 1 - r.first_index) {
    return fmt::format("entries [{}, {}] read back as {} entries", r.first_index, r.last_index,
                       r.entries.size());
  }

  // The log: the model's, or the model's plus the first k entries of next (1 <= k <= all).
  std::optional<size_t> prefix;  // k of the candidate that matched.
  std::string why_not = compare_log(r, model);
  if (why_not.empty()) prefix = 0;
  const raft::Index start = next.first_entry_index();
  if (!prefix && start != 0 && r.last_index >= start &&
      r.last_index - start + 1 <= next.entries.size()) {
    const size_t k = r.last_index - start + 1;
    Model torn = model;
    torn.apply_entries_prefix(next, k);
    const std::string torn_why = compare_log(r, torn);
    if (torn_why.empty()) {
      prefix = k;
    } else {
      why_not +=
          fmt::format("; with the first {} entries of batch {}: {}", k, next.number, torn_why);
    }
  }
  if (!prefix) {
    return fmt::format(
        "log ({} entries from index {}) is neither {} nor that plus a prefix of "
        "batch {} ({}, {} entries from index {}): {}",
        r.entries.size(), r.first_index, state_name(model), next.number, to_string(next.kind),
        next.entries.size(), start, why_not);
  }

  // The hard state: the model's, or next's once all of next's entries are there.
  if (r.hard_state != model.hard_state()) {
    if (r.hard_state != full.hard_state()) {
      return fmt::format("hard state {} is neither {} ({}) nor {} (batch {})",
                         describe(r.hard_state), describe(model.hard_state()), state_name(model),
                         describe(full.hard_state()), next.number);
    }
    if (*prefix != next.entries.size()) {
      return fmt::format("hard state {} of batch {} recovered with only {} of its {} entries",
                         describe(r.hard_state), next.number, *prefix, next.entries.size());
    }
  }

  // The snapshot: the model's, or next's (file and mark durable, "synced" not yet printed).
  const raft::SnapshotMetadata& meta = r.snapshot.metadata;
  if (meta.index != model.snapshot_index() && meta.index != full.snapshot_index()) {
    return fmt::format("snapshot at index {} (expected {} or {})", meta.index,
                       model.snapshot_index(), full.snapshot_index());
  }
  if (meta.index != 0) {
    const Model& owner = meta.index == model.snapshot_index() ? model : full;
    if (meta.term != owner.snapshot_term()) {
      return fmt::format("snapshot at index {} has term {} (expected {})", meta.index, meta.term,
                         owner.snapshot_term());
    }
    if (meta.conf_state != snapshot_conf_state()) {
      return fmt::format("snapshot at index {} has the wrong configuration", meta.index);
    }
    if (r.snapshot.data != snapshot_data(model.seed(), meta.index)) {
      return fmt::format("snapshot at index {} has the wrong data ({} bytes)", meta.index,
                         r.snapshot.data.size());
    }
  }
  return {};
}

}  // namespace regent::crash
