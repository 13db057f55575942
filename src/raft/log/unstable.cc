#include "raft/log/unstable.h"

#include <algorithm>
#include <cstddef>

#include "common/assert.h"

namespace regent::raft {

std::optional<Index> Unstable::maybe_first_index() const {
  if (snapshot_) return snapshot_->metadata.index + 1;
  return std::nullopt;
}

std::optional<Index> Unstable::maybe_last_index() const {
  if (!entries_.empty()) return offset_ + entries_.size() - 1;
  if (snapshot_) return snapshot_->metadata.index;
  return std::nullopt;
}

std::optional<Term> Unstable::maybe_term(Index i) const {
  if (i < offset_) {
    if (snapshot_ && snapshot_->metadata.index == i) return snapshot_->metadata.term;
    return std::nullopt;
  }
  auto last = maybe_last_index();
  if (!last || i > *last) return std::nullopt;
  return entries_[i - offset_].term;
}

void Unstable::stable_to(Index i, Term t) {
  auto held = maybe_term(i);
  // Only an unstable entry can be released: a match with the pending snapshot's index says
  // nothing about the entries. A different term means the entry was replaced while the old one
  // was being written, and the new one still has to be persisted.
  if (!held || i < offset_ || *held != t) return;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(i + 1 - offset_));
  offset_ = i + 1;
  in_progress_ = std::max(in_progress_, offset_);
}

void Unstable::stable_snapshot_to(Index i) {
  if (snapshot_ && snapshot_->metadata.index == i) {
    snapshot_.reset();
    snapshot_in_progress_ = false;
  }
}

void Unstable::restore(const Snapshot& snap) {
  offset_ = snap.metadata.index + 1;
  in_progress_ = offset_;
  entries_.clear();
  snapshot_ = snap;
  snapshot_in_progress_ = false;
}

std::vector<Entry> Unstable::entries_to_persist() const {
  if (!has_entries_to_persist()) return {};
  return slice(in_progress_, offset_ + entries_.size());
}

void Unstable::accept_in_progress() {
  in_progress_ = offset_ + entries_.size();
  if (snapshot_) snapshot_in_progress_ = true;
}

void Unstable::truncate_and_append(const std::vector<Entry>& ents) {
  if (ents.empty()) return;
  Index after = ents.front().index;
  // Entries from `after` on, handed out or not, are replaced: the new ones must be written.
  in_progress_ = std::min(in_progress_, after);
  REGENT_ASSERT(!snapshot_ || after > snapshot_->metadata.index,
                "appending entry {} at or before the pending snapshot {}", after,
                snapshot_ ? snapshot_->metadata.index : 0);
  if (after == offset_ + entries_.size()) {
    entries_.insert(entries_.end(), ents.begin(), ents.end());
  } else if (after <= offset_) {
    // The log is truncated to before the unstable part: the stable entries from `after` on will
    // be overwritten when these are persisted.
    offset_ = after;
    in_progress_ = offset_;
    entries_ = ents;
  } else {
    // Truncate in the middle; slice() panics if `after` would leave a gap.
    entries_ = slice(offset_, after);
    entries_.insert(entries_.end(), ents.begin(), ents.end());
  }
}

std::vector<Entry> Unstable::slice(Index lo, Index hi) const {
  REGENT_ASSERT(lo <= hi, "invalid unstable.slice {} > {}", lo, hi);
  Index upper = offset_ + entries_.size();
  REGENT_ASSERT(lo >= offset_ && hi <= upper, "unstable.slice[{},{}) out of bound [{},{}]", lo, hi,
                offset_, upper);
  return std::vector<Entry>(entries_.begin() + static_cast<ptrdiff_t>(lo - offset_),
                            entries_.begin() + static_cast<ptrdiff_t>(hi - offset_));
}

}  // namespace regent::raft
