#include "server/node/auth_ranges.h"

#include <algorithm>
#include <string>

namespace regent::server {

namespace {

// [lo, hi), hi absent = no upper bound. A single key k is [k, k + "\0"): the next key after k.
struct Interval {
  std::string lo;
  std::string hi;
  bool unbounded = false;
};

Interval interval_of(std::string_view key, std::string_view range_end) {
  if (range_end.size() == 1 && range_end[0] == '\0') {
    return Interval{std::string(key), {}, true};
  }
  if (range_end.empty() || range_end <= key) {
    std::string next(key);
    next.push_back('\0');
    return Interval{std::string(key), std::move(next), false};
  }
  return Interval{std::string(key), std::string(range_end), false};
}

// Whether `a`'s end reaches at least `b`'s end.
bool reaches(const Interval& a, const Interval& b) {
  if (a.unbounded) return true;
  if (b.unbounded) return false;
  return a.hi >= b.hi;
}

}  // namespace

bool grants(regentpb::AuthPermissionType have, regentpb::AuthPermissionType need) {
  return have == regentpb::READWRITE || have == need;
}

bool covers(const std::vector<const regentpb::AuthPermission*>& permissions,
            regentpb::AuthPermissionType need, std::string_view key, std::string_view range_end) {
  std::vector<Interval> granted;
  granted.reserve(permissions.size());
  for (const regentpb::AuthPermission* p : permissions) {
    if (grants(p->type(), need)) granted.push_back(interval_of(p->key(), p->range_end()));
  }
  std::sort(granted.begin(), granted.end(),
            [](const Interval& a, const Interval& b) { return a.lo < b.lo; });
  const Interval wanted = interval_of(key, range_end);
  // Sweep: `reached` is how far from wanted.lo the granted ranges cover without a gap. One pass
  // over the sorted ranges, so the loop is bounded by their number.
  Interval reached{wanted.lo, wanted.lo, false};
  for (const Interval& g : granted) {
    if (g.lo > reached.hi) break;  // A gap before g: keys in it are not granted.
    if (reaches(g, reached)) {
      reached.hi = g.hi;
      reached.unbounded = g.unbounded;
    }
    if (reaches(reached, wanted)) return true;
  }
  return false;  // wanted is never empty, so nothing granted covers nothing of it.
}

}  // namespace regent::server
