// The watcher group: which watchers an event concerns, for single keys, ranges, prefixes,
// from-key ranges, overlapping and shared ranges, after removals; a batch's matches grouped by
// watched range; and a seeded random walk of adds, removals and lookups checked against a scan of
// every watcher, with the group's and the interval tree's invariants checked after each change.
#include "kv/watcher_group.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/prng.h"

namespace regent::kv {
namespace {

using Ids = std::vector<WatcherGroup::WatcherId>;

const std::string kZero(1, '\0');

struct Watch {
  WatcherGroup::WatcherId id;
  std::string key;
  std::string range_end;
};

WatcherGroup group_of(const std::vector<Watch>& watches) {
  WatcherGroup g;
  for (const Watch& w : watches) {
    g.add(w.id, w.key, w.range_end);
    g.check_invariants();
  }
  return g;
}

Event put_event(std::string key, int64_t revision) {
  Event e;
  e.kv.key = std::move(key);
  e.kv.mod_revision = revision;
  return e;
}

TEST(WatcherGroupTest, FindsTheWatchersOfAKey) {
  struct Case {
    const char* name;
    std::vector<Watch> watches;
    std::vector<std::pair<std::string, Ids>> want;  // key -> watchers of it
  };
  const std::vector<Case> cases = {
      {"single keys",
       {{1, "a", ""}, {2, "b", ""}, {3, "a", ""}},
       {{"a", {1, 3}}, {"b", {2}}, {"c", {}}, {"aa", {}}}},
      {"a range is half-open",
       {{1, "b", "d"}},
       {{"a", {}}, {"b", {1}}, {"bzz", {1}}, {"c", {1}}, {"d", {}}, {"e", {}}}},
      {"a prefix is the range to its successor",
       {{1, "foo/", "foo0"}},
       {{"foo", {}}, {"foo/", {1}}, {"foo/bar", {1}}, {"foo0", {}}, {"fop", {}}}},
      {"\\0 as range_end is every key from the key",
       {{1, "m", kZero}},
       {{"l", {}}, {"m", {1}}, {"zzz", {1}}, {"\xff\xff", {1}}}},
      {"\\0 to \\0 is every key", {{1, kZero, kZero}}, {{kZero, {1}}, {"a", {1}}, {"\xff", {1}}}},
      {"overlapping ranges and a key inside them",
       {{1, "a", "m"}, {2, "f", "z"}, {3, "g", ""}, {4, "a", kZero}, {5, "h", "i"}},
       {{"a", {1, 4}}, {"g", {1, 2, 3, 4}}, {"h", {1, 2, 4, 5}}, {"m", {2, 4}}, {"z", {4}}}},
      {"many watchers of one key and of one range",
       {{1, "k", ""}, {2, "k", ""}, {3, "k", ""}, {4, "j", "l"}, {5, "j", "l"}, {6, "j", "l"}},
       {{"k", {1, 2, 3, 4, 5, 6}}, {"j", {4, 5, 6}}, {"l", {}}}},
      {"a single-key range and the single key",
       {{1, "k", ""}, {2, "k", "k" + kZero}},
       {{"k", {1, 2}}, {"k" + kZero, {}}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const WatcherGroup g = group_of(c.watches);
    EXPECT_EQ(g.size(), c.watches.size());
    for (const auto& [key, want] : c.want) {
      SCOPED_TRACE(key);
      EXPECT_EQ(g.watchers_of(key), want);
    }
  }
}

TEST(WatcherGroupTest, RemovedWatchersAreNotFound) {
  WatcherGroup g = group_of(
      {{1, "a", ""}, {2, "a", ""}, {3, "a", "c"}, {4, "a", "c"}, {5, "b", kZero}, {6, "0", "z"}});
  struct Step {
    WatcherGroup::WatcherId remove;
    bool was_there;
    Ids of_a;
    Ids of_b;
  };
  const std::vector<Step> steps = {
      {1, true, {2, 3, 4, 6}, {3, 4, 5, 6}},
      {1, false, {2, 3, 4, 6}, {3, 4, 5, 6}},
      {3, true, {2, 4, 6}, {4, 5, 6}},
      {6, true, {2, 4}, {4, 5}},
      {2, true, {4}, {4, 5}},
      {4, true, {}, {5}},
      {5, true, {}, {}},
      {99, false, {}, {}},
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(g.remove(steps[i].remove), steps[i].was_there);
    g.check_invariants();
    EXPECT_EQ(g.watchers_of("a"), steps[i].of_a);
    EXPECT_EQ(g.watchers_of("b"), steps[i].of_b);
  }
  EXPECT_TRUE(g.empty());
  // A removed id may come back, on another range.
  g.add(1, "x", "y");
  EXPECT_EQ(g.watchers_of("x"), Ids{1});
  g.check_invariants();
}

TEST(WatcherGroupTest, ABatchIsMatchedPerWatchedRangeInEventOrder) {
  const WatcherGroup g =
      group_of({{1, "a", ""}, {2, "a", ""}, {3, "a", "c"}, {4, "x", ""}, {5, "b", kZero}});
  const std::vector<Event> events = {put_event("b", 5), put_event("a", 6), put_event("z", 7),
                                     put_event("a", 7), put_event("q", 8)};
  const std::vector<WatcherGroup::RangeMatch> matches = g.match(events);
  // Revisions of the events each set of watchers got.
  std::map<Ids, std::vector<int64_t>> got;
  for (const auto& m : matches) {
    std::vector<int64_t>& revisions = got[m.watchers];
    EXPECT_TRUE(revisions.empty()) << "one range matched twice";
    for (const Event* e : m.events) revisions.push_back(e->kv.mod_revision);
  }
  const std::map<Ids, std::vector<int64_t>> want = {
      {{1, 2}, {6, 7}}, {{3}, {5, 6, 7}}, {{5}, {5, 7, 8}}};  // Nobody watches x's events.
  EXPECT_EQ(got, want);
  EXPECT_TRUE(g.match({}).empty());
}

// A scan of every watcher: what the group must agree with.
Ids scan(const std::map<WatcherGroup::WatcherId, Watch>& watches, const std::string& key) {
  Ids out;
  for (const auto& [id, w] : watches) {
    const bool in = w.range_end.empty()    ? key == w.key
                    : w.range_end == kZero ? key >= w.key
                                           : w.key <= key && key < w.range_end;
    if (in) out.push_back(id);
  }
  return out;
}

// Keys over a small alphabet, so that ranges overlap and share ends often.
std::string random_key(Prng& prng) {
  std::string key(prng.between(1, 3), 'a');
  for (char& c : key) c = static_cast<char>('a' + prng.uniform(4));
  return key;
}

Watch random_watch(Prng& prng, WatcherGroup::WatcherId id) {
  Watch w{.id = id, .key = random_key(prng)};
  switch (prng.uniform(4)) {
    case 0:
      break;  // A single key.
    case 1:
      w.range_end = kZero;
      break;
    case 2:
      w.range_end = w.key;  // A prefix.
      ++w.range_end.back();
      break;
    default:
      w.range_end = random_key(prng);
      // Past the key, and bounded (no key is past "ddd" in this alphabet).
      if (w.range_end <= w.key) w.range_end = w.key + w.range_end;
  }
  return w;
}

TEST(WatcherGroupTest, AgreesWithAScanOfEveryWatcher) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Prng prng(seed);
    WatcherGroup g;
    std::map<WatcherGroup::WatcherId, Watch> model;
    WatcherGroup::WatcherId next_id = 1;
    for (int step = 0; step < 400; ++step) {
      // Grows to about 100 watchers, then holds there as removals catch up.
      if (model.empty() || prng.chance(110 - std::min<size_t>(model.size(), 100), 110)) {
        const Watch w = random_watch(prng, next_id++);
        g.add(w.id, w.key, w.range_end);
        model.emplace(w.id, w);
      } else {
        auto victim = std::next(model.begin(), static_cast<long>(prng.uniform(model.size())));
        ASSERT_TRUE(g.remove(victim->first));
        model.erase(victim);
      }
      ASSERT_EQ(g.find_problem(), "") << "after step " << step;
      ASSERT_EQ(g.size(), model.size());
      std::vector<Event> events;
      for (int i = 0; i < 3; ++i) events.push_back(put_event(random_key(prng), step));
      for (const Event& e : events) ASSERT_EQ(g.watchers_of(e.kv.key), scan(model, e.kv.key));
      // The batch form: each watcher gets exactly the events whose keys it watches.
      std::map<WatcherGroup::WatcherId, std::vector<const Event*>> got;
      for (const auto& m : g.match(events)) {
        for (WatcherGroup::WatcherId id : m.watchers) {
          got[id].insert(got[id].end(), m.events.begin(), m.events.end());
        }
      }
      for (const auto& [id, w] : model) {
        std::vector<const Event*> want;
        for (const Event& e : events) {
          const Ids of = scan({{id, w}}, e.kv.key);
          if (!of.empty()) want.push_back(&e);
        }
        ASSERT_EQ(got[id], want) << "watcher " << id;
      }
    }
  }
}

}  // namespace
}  // namespace regent::kv
