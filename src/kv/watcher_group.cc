#include "kv/watcher_group.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/assert.h"

namespace regent::kv {

namespace {

constexpr std::string_view kFromKey("\0", 1);

}  // namespace

KeyInterval WatcherGroup::interval(const Registration& r) {
  if (r.range_end == kFromKey) return KeyInterval{.begin = r.key, .end = std::nullopt};
  return KeyInterval{.begin = r.key, .end = r.range_end};
}

void WatcherGroup::add(WatcherId id, std::string_view key, std::string_view range_end) {
  REGENT_ASSERT(!key.empty(), "watcher {} has an empty key", id);
  auto [it, added] = registered_.try_emplace(
      id, Registration{.key = std::string(key), .range_end = std::string(range_end)});
  REGENT_ASSERT(added, "watcher {} registered twice", id);
  const Registration& r = it->second;
  if (r.single()) {
    single_keys_[r.key].insert(id);
    return;
  }
  const KeyInterval watched = interval(r);
  REGENT_ASSERT(!watched.empty(), "watcher {} watches an empty range", id);
  ranges_.insert(watched, id);
}

bool WatcherGroup::remove(WatcherId id) {
  auto it = registered_.find(id);
  if (it == registered_.end()) return false;
  const Registration& r = it->second;
  if (r.single()) {
    auto key = single_keys_.find(r.key);
    REGENT_ASSERT(key != single_keys_.end() && key->second.erase(id) == 1,
                  "watcher {} missing from its key", id);
    if (key->second.empty()) single_keys_.erase(key);  // Invariant 2.
  } else {
    REGENT_ASSERT(ranges_.erase(interval(r), id), "watcher {} missing from its range", id);
  }
  registered_.erase(it);
  return true;
}

std::vector<WatcherGroup::RangeMatch> WatcherGroup::match(std::span<const Event> events) const {
  std::vector<RangeMatch> out;
  // Each watched key or range is one set of watchers: its address names its RangeMatch.
  std::unordered_map<const std::set<WatcherId>*, size_t> slot_of;
  std::vector<const KeyIntervalTree::Entry*> stabbed;
  auto add_to = [&](const std::set<WatcherId>& watchers, const Event& e) {
    auto [slot, fresh] = slot_of.try_emplace(&watchers, out.size());
    if (fresh) out.push_back(RangeMatch{.watchers = {watchers.begin(), watchers.end()}});
    out[slot->second].events.push_back(&e);
  };
  for (const Event& e : events) {
    if (auto it = single_keys_.find(std::string_view(e.kv.key)); it != single_keys_.end()) {
      add_to(it->second, e);
    }
    stabbed.clear();
    ranges_.stab(e.kv.key, stabbed);
    for (const KeyIntervalTree::Entry* entry : stabbed) add_to(entry->ids, e);
  }
  return out;
}

std::vector<WatcherGroup::WatcherId> WatcherGroup::watchers_of(std::string_view key) const {
  std::vector<WatcherId> out;
  if (auto it = single_keys_.find(key); it != single_keys_.end()) {
    out.assign(it->second.begin(), it->second.end());
  }
  std::vector<const KeyIntervalTree::Entry*> stabbed;
  ranges_.stab(key, stabbed);
  for (const KeyIntervalTree::Entry* entry : stabbed) {
    out.insert(out.end(), entry->ids.begin(), entry->ids.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string WatcherGroup::find_problem() const {
  if (std::string problem = ranges_.find_problem(); !problem.empty()) {
    return "interval tree: " + problem;
  }
  size_t placed = ranges_.ids();
  for (const auto& [key, watchers] : single_keys_) {
    if (watchers.empty()) return fmt::format("(2) key {:?} has no watchers", key);
    placed += watchers.size();
  }
  // Each registered watcher where it belongs, and no more placed than registered: invariant 1.
  std::vector<const KeyIntervalTree::Entry*> stabbed;
  for (const auto& [id, r] : registered_) {
    bool found = false;
    if (r.single()) {
      auto it = single_keys_.find(r.key);
      found = it != single_keys_.end() && it->second.contains(id);
    } else {
      // A watched interval holds its own begin, so a stab there finds it.
      const KeyInterval watched = interval(r);
      stabbed.clear();
      ranges_.stab(watched.begin, stabbed);
      // Clang 14 cannot capture a structured binding, so the id is copied first.
      const auto watcher_id = id;
      found = std::any_of(stabbed.begin(), stabbed.end(), [&](const auto* entry) {
        return entry->interval == watched && entry->ids.contains(watcher_id);
      });
    }
    if (!found) return fmt::format("(1) watcher {} of {:?} is not where it belongs", id, r.key);
  }
  if (placed != registered_.size()) {
    return fmt::format("(1) {} watchers placed, {} registered", placed, registered_.size());
  }
  return "";
}

void WatcherGroup::check_invariants() const {
  const std::string problem = find_problem();
  REGENT_ASSERT(problem.empty(), "watcher group invariant broken: {}", problem);
}

}  // namespace regent::kv
