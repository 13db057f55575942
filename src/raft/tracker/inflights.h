// The window of appends sent to one follower and not yet acknowledged.
//
// Pipelining sends appends without waiting for each reply; this bounds how many (and how many
// bytes) may be outstanding, so a slow follower cannot make the leader buffer without limit.
// Invariant: recorded indexes strictly increase (appends are sent in log order).
#pragma once

#include <cstdint>
#include <deque>

#include "raft/types.h"

namespace regent::raft::tracker {

class Inflights {
 public:
  // max_bytes == 0 means no byte limit (only max_count applies). max_count must be > 0.
  Inflights(size_t max_count, uint64_t max_bytes);

  // Records an append whose last entry is `last` and whose entries weigh `bytes`.
  // Must not be called when full(); `last` must exceed every recorded index.
  void add(Index last, uint64_t bytes);
  // Frees every append whose last index is <= `index` (they were acknowledged).
  void free_le(Index index);
  // Frees the oldest one (used when a heartbeat response shows the follower is alive but the
  // window is full, so that one probe may go out).
  void free_first_one();

  bool full() const;
  size_t count() const { return entries_.size(); }
  uint64_t bytes() const { return bytes_; }
  void reset();

 private:
  struct Inflight {
    Index last;
    uint64_t bytes;
  };
  size_t max_count_;
  uint64_t max_bytes_;
  uint64_t bytes_ = 0;
  std::deque<Inflight> entries_;
};

}  // namespace regent::raft::tracker
