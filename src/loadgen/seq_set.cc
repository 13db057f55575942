#include "loadgen/seq_set.h"

#include <algorithm>

#include "common/assert.h"

namespace regent::loadgen {

bool SeqSet::add(uint64_t n) {
  if (intervals_.empty() || n > intervals_.back().second) {
    intervals_.emplace_back(n, n + 1);
  } else if (n == intervals_.back().second) {
    ++intervals_.back().second;
  } else {
    // Out of order: the first interval that ends after n.
    auto it = std::upper_bound(intervals_.begin(), intervals_.end(), n,
                               [](uint64_t v, const auto& iv) { return v < iv.second; });
    REGENT_ASSERT(it != intervals_.end());
    if (it->first <= n) return false;
    if (it->first == n + 1) {
      it->first = n;
    } else {
      it = intervals_.insert(it, {n, n + 1});
    }
    if (it != intervals_.begin() && std::prev(it)->second == it->first) {
      std::prev(it)->second = it->second;
      intervals_.erase(it);
    }
  }
  ++size_;
  return true;
}

bool SeqSet::contains(uint64_t n) const {
  auto it = std::upper_bound(intervals_.begin(), intervals_.end(), n,
                             [](uint64_t v, const auto& iv) { return v < iv.second; });
  return it != intervals_.end() && it->first <= n;
}

}  // namespace regent::loadgen
