#include "raft/tracker/inflights.h"

#include "common/assert.h"

namespace regent::raft::tracker {

Inflights::Inflights(size_t max_count, uint64_t max_bytes)
    : max_count_(max_count), max_bytes_(max_bytes) {
  REGENT_ASSERT(max_count_ > 0, "an inflight window must allow at least one append");
}

void Inflights::add(Index last, uint64_t bytes) {
  // Adding past the window would let a slow follower make the leader buffer without bound.
  REGENT_ASSERT(!full(), "add to a full inflight window (count={} bytes={})", count(), bytes_);
  REGENT_ASSERT(entries_.empty() || entries_.back().last < last,
                "inflight appends must be recorded in log order: {} after {}", last,
                entries_.back().last);
  entries_.push_back(Inflight{last, bytes});
  bytes_ += bytes;
}

void Inflights::free_le(Index index) {
  while (!entries_.empty() && entries_.front().last <= index) {
    REGENT_ASSERT(bytes_ >= entries_.front().bytes, "inflight byte count underflow");
    bytes_ -= entries_.front().bytes;
    entries_.pop_front();
  }
}

void Inflights::free_first_one() {
  if (entries_.empty()) return;
  free_le(entries_.front().last);
}

bool Inflights::full() const {
  if (entries_.size() >= max_count_) return true;
  // A single append may overshoot the byte limit; the window is then full until it is acked.
  return max_bytes_ != 0 && bytes_ >= max_bytes_;
}

void Inflights::reset() {
  entries_.clear();
  bytes_ = 0;
}

}  // namespace regent::raft::tracker
