// A set of sequence numbers kept as sorted, disjoint, non-adjacent intervals: what a watcher saw
// of the putter's puts. Events arrive in order, so the set is one interval per break in what was
// seen and adding the next number is O(1); any other order stays correct, only slower.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace regent::loadgen {

class SeqSet {
 public:
  // Returns false when n was already in the set.
  bool add(uint64_t n);
  bool contains(uint64_t n) const;
  uint64_t size() const { return size_; }
  // [first, last + 1) intervals in increasing order.
  const std::vector<std::pair<uint64_t, uint64_t>>& intervals() const { return intervals_; }

 private:
  std::vector<std::pair<uint64_t, uint64_t>> intervals_;
  uint64_t size_ = 0;
};

}  // namespace regent::loadgen
