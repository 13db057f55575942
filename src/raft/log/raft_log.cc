#include "raft/log/raft_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <span>

#include "common/assert.h"
#include "raft/log/limit_size.h"

namespace regent::raft {

namespace {

const LogStorage* checked(const LogStorage* storage) {
  REGENT_ASSERT(storage != nullptr, "RaftLog needs a storage");
  return storage;
}

}  // namespace

// Everything up to the storage's snapshot is committed and applied by definition; a restarted
// node learns its real commit index from its HardState and the leader.
RaftLog::RaftLog(const LogStorage* storage, Logger* logger, uint64_t max_applying_bytes)
    : storage_(checked(storage)),
      logger_(logger),
      unstable_(storage_->last_index() + 1),
      committed_(storage_->first_index() - 1),
      applied_(storage_->first_index() - 1),
      max_applying_bytes_(max_applying_bytes) {
  REGENT_ASSERT(logger_ != nullptr, "RaftLog needs a logger (a NullLogger for silence)");
}

std::optional<Index> RaftLog::maybe_append(Index index, Term log_term, Index committed,
                                           const std::vector<Entry>& ents) {
  if (!match_term(index, log_term)) return std::nullopt;

  Index last_new = index + ents.size();
  // Entries we already hold identically are skipped rather than re-appended: a stale append that
  // arrives after a newer one must not truncate the newer entries behind it.
  Index conflict = find_conflict(ents);
  if (conflict != 0) {
    if (conflict <= committed_) {
      REGENT_PANIC("entry {} conflicts with committed entry [committed({})]", conflict, committed_);
    }
    Index first_new = index + 1;
    REGENT_ASSERT(conflict >= first_new && conflict - first_new < ents.size(),
                  "conflict index {} outside the appended entries [{}, {}]", conflict, first_new,
                  last_new);
    append(std::vector<Entry>(ents.begin() + static_cast<ptrdiff_t>(conflict - first_new),
                              ents.end()));
  }
  // Beyond last_new our log may still disagree with the leader's, so commit no further.
  commit_to(std::min(committed, last_new));
  return last_new;
}

Index RaftLog::append(const std::vector<Entry>& ents) {
  if (ents.empty()) return last_index();
  Index first_new = ents.front().index;
  REGENT_ASSERT(first_new > committed_, "appending at {} would overwrite committed entries [{}]",
                first_new, committed_);
  if (first_new <= last_index()) {
    logger_->info("truncating the log from index {} [last_index({})]", first_new, last_index());
  }
  unstable_.truncate_and_append(ents);
  return last_index();
}

Index RaftLog::find_conflict(const std::vector<Entry>& ents) const {
  for (const Entry& e : ents) {
    if (match_term(e.index, e.term)) continue;
    if (e.index <= last_index()) {
      logger_->info("found conflict at index {} [existing term: {}, conflicting term: {}]", e.index,
                    zero_term_on_error(e.index), e.term);
    }
    return e.index;
  }
  return 0;
}

std::pair<Index, Term> RaftLog::find_conflict_by_term(Index index, Term term) const {
  for (; index > 0; --index) {
    auto ours = this->term(index);
    // Compacted or not yet there: we cannot tell whether it matches, so offer it as a possible
    // match with the unknown term 0 and let the next probe decide.
    if (!ours) return {index, 0};
    if (*ours <= term) return {index, *ours};
  }
  return {0, 0};
}

std::vector<Entry> RaftLog::next_committed_entries() const {
  if (!has_next_committed_entries()) return {};
  Index lo = std::max(std::max(applied_, applying_) + 1, first_index());
  auto ents = slice(lo, committed_ + 1, max_applying_bytes_);
  REGENT_ASSERT(ents.has_value(), "committed entries [{}, {}] unavailable: {}", lo, committed_,
                to_string(ents.error()));
  return std::move(ents).value();
}

bool RaftLog::has_next_committed_entries() const {
  // A pending snapshot is applied first; entries after it wait until it is persisted.
  if (unstable_.snapshot()) return false;
  return committed_ + 1 > std::max(std::max(applied_, applying_) + 1, first_index());
}

Expected<Snapshot, StorageError> RaftLog::snapshot() const {
  if (unstable_.snapshot()) return *unstable_.snapshot();
  return storage_->snapshot();
}

Index RaftLog::first_index() const {
  if (auto i = unstable_.maybe_first_index()) return *i;
  return storage_->first_index();
}

Index RaftLog::last_index() const {
  if (auto i = unstable_.maybe_last_index()) return *i;
  return storage_->last_index();
}

Term RaftLog::last_term() const {
  auto t = term(last_index());
  REGENT_ASSERT(t.has_value(), "unexpected error when getting the last term: {}",
                to_string(t.error()));
  return *t;
}

Expected<Term, StorageError> RaftLog::term(Index i) const {
  // Unstable first: if it knows the entry, the index is in range, and asking storage for its
  // bounds would be wasted work.
  if (auto t = unstable_.maybe_term(i)) return *t;
  // The entry before first_index() is compacted but its term is kept for append matching.
  if (i + 1 < first_index()) return unexpected(StorageError::kCompacted);
  if (i > last_index()) return unexpected(StorageError::kUnavailable);

  auto t = storage_->term(i);
  if (t) return *t;
  REGENT_ASSERT(t.error() == StorageError::kCompacted || t.error() == StorageError::kUnavailable,
                "unexpected storage error for term({}): {}", i, to_string(t.error()));
  return t;
}

Term RaftLog::zero_term_on_error(Index i) const { return term(i).value_or(0); }

bool RaftLog::match_term(Index i, Term t) const {
  auto ours = term(i);
  return ours && *ours == t;
}

Expected<std::vector<Entry>, StorageError> RaftLog::entries(Index i, uint64_t max_bytes) const {
  if (i > last_index()) return std::vector<Entry>{};
  return slice(i, last_index() + 1, max_bytes);
}

Expected<std::vector<Entry>, StorageError> RaftLog::slice(Index lo, Index hi,
                                                          uint64_t max_bytes) const {
  if (auto err = must_check_out_of_bounds(lo, hi)) return unexpected(*err);
  if (lo == hi) return std::vector<Entry>{};
  if (lo >= unstable_.offset()) {
    std::vector<Entry> ents = unstable_.slice(lo, hi);
    ents.resize(count_within_bytes(ents, max_bytes));
    return ents;
  }

  Index cut = std::min(hi, unstable_.offset());
  auto stored = storage_->entries(lo, cut, max_bytes);
  if (!stored) {
    if (stored.error() == StorageError::kCompacted) return stored;
    REGENT_PANIC("entries[{}, {}) unavailable from storage: {}", lo, cut,
                 to_string(stored.error()));
  }
  std::vector<Entry> ents = std::move(stored).value();
  REGENT_ASSERT(!ents.empty() && ents.size() <= cut - lo,
                "storage returned {} entries for [{}, {})", ents.size(), lo, cut);
  // Stop at the stable part if it was all that was asked for or it already hit the limit.
  if (hi <= unstable_.offset() || ents.size() < cut - lo) return ents;
  uint64_t size = entries_size(ents);
  if (size >= max_bytes) return ents;

  std::vector<Entry> tail = unstable_.slice(unstable_.offset(), hi);
  tail.resize(count_within_bytes(tail, max_bytes - size));
  // count_within_bytes always keeps one entry, which may alone exceed what is left: the
  // at-least-one rule is already met by the stable part, so drop it.
  if (tail.size() == 1 && size + tail.front().size() > max_bytes) return ents;
  ents.insert(ents.end(), tail.begin(), tail.end());
  return ents;
}

std::vector<Entry> RaftLog::all_entries() const {
  auto ents = entries(first_index(), kNoLimit);
  REGENT_ASSERT(ents.has_value(), "cannot read the whole log: {}", to_string(ents.error()));
  return std::move(ents).value();
}

bool RaftLog::is_up_to_date(Index lasti, Term term) const {
  Term our_last_term = last_term();
  return term > our_last_term || (term == our_last_term && lasti >= last_index());
}

bool RaftLog::maybe_commit(Index max_index, Term term) {
  // Counting replicas is only safe for an entry of the leader's own term (§5.4.2, figure 8): an
  // older-term entry is committed indirectly, by committing a newer entry after it.
#ifdef REGENT_FAULT_COMMIT_BY_COUNT
  // Fault-injection build only (CMakeLists.txt, regent-sim-fault-commit): the figure-8 bug, so
  // that a test can show the simulator catches it. Never defined in a product build.
  const bool own_term = term > 0;
#else
  const bool own_term = zero_term_on_error(max_index) == term;
#endif
  if (max_index > committed_ && own_term) {
    commit_to(max_index);
    return true;
  }
  return false;
}

void RaftLog::commit_to(Index i) {
  if (i <= committed_) return;  // The commit index never decreases.
  if (i > last_index()) {
    REGENT_PANIC(
        "to_commit({}) is out of range [last_index({})]. Was the raft log corrupted, truncated, "
        "or lost?",
        i, last_index());
  }
  committed_ = i;
}

void RaftLog::applied_to(Index i) {
  if (i < applied_ || i > committed_) {
    REGENT_PANIC("applied({}) is out of range [prev_applied({}), committed({})]", i, applied_,
                 committed_);
  }
  applied_ = i;
}

void RaftLog::restore(const Snapshot& snap) {
  logger_->info("log [{}] starts to restore snapshot [index: {}, term: {}]", describe(),
                snap.metadata.index, snap.metadata.term);
  REGENT_ASSERT(snap.metadata.index >= committed_,
                "restoring snapshot {} would roll back the commit index {}", snap.metadata.index,
                committed_);
  committed_ = snap.metadata.index;
  unstable_.restore(snap);
}

std::string RaftLog::describe() const {
  return fmt::format("committed={} applied={} unstable.offset={} len(unstable)={}", committed_,
                     applied_, unstable_.offset(), unstable_.entries().size());
}

std::optional<StorageError> RaftLog::must_check_out_of_bounds(Index lo, Index hi) const {
  REGENT_ASSERT(lo <= hi, "invalid slice {} > {}", lo, hi);
  Index first = first_index();
  if (lo < first) return StorageError::kCompacted;
  REGENT_ASSERT(hi <= last_index() + 1, "slice[{},{}) out of bound [{},{}]", lo, hi, first,
                last_index());
  return std::nullopt;
}

}  // namespace regent::raft
