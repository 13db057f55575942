// Store::events: the history a watcher is fed. Puts, deletes and txns in (revision, sub) order,
// key ranges, prev_kv, limits, the compaction boundary, the index rebuilt by restore(), and a
// randomized comparison with the changes a model computes while replaying the same operations.
#include <gtest/gtest.h>

#include <map>

#include "common/prng.h"
#include "kv/store.h"
#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::del;
using testing::must;
using testing::op_del;
using testing::op_put;
using testing::put;
using Type = Event::Type;

const std::string kZero(1, '\0');

KeyRange everything() { return KeyRange::checked(kZero, kZero); }

KeyValue kv(std::string key, int64_t create, int64_t mod, int64_t version, std::string value) {
  return KeyValue{.key = std::move(key),
                  .create_revision = create,
                  .mod_revision = mod,
                  .version = version,
                  .value = std::move(value)};
}

Event put_event(KeyValue now, std::optional<KeyValue> prev = std::nullopt) {
  return Event{.type = Type::kPut, .kv = std::move(now), .prev_kv = std::move(prev)};
}

Event delete_event(std::string key, int64_t rev, std::optional<KeyValue> prev = std::nullopt) {
  return Event{.type = Type::kDelete,
               .kv = KeyValue{.key = std::move(key), .mod_revision = rev},
               .prev_kv = std::move(prev)};
}

std::vector<Event> all_events(const Store& s, int64_t from, int64_t to = 0) {
  return must(s.events(everything(), from, to));
}

TEST(EventsTest, PutsAndDeletesWithPrevKv) {
  Store s;
  put(s, "a", "1");  // 2
  put(s, "b", "1");  // 3
  put(s, "a", "2");  // 4
  del(s, "a");       // 5
  put(s, "a", "3");  // 6: a new generation, nothing before it
  const std::vector<Event> want = {
      put_event(kv("a", 2, 2, 1, "1")),
      put_event(kv("b", 3, 3, 1, "1")),
      put_event(kv("a", 2, 4, 2, "2"), kv("a", 2, 2, 1, "1")),
      delete_event("a", 5, kv("a", 2, 4, 2, "2")),
      put_event(kv("a", 6, 6, 1, "3")),
  };
  EXPECT_EQ(all_events(s, 1), want);
  EXPECT_EQ(all_events(s, 2), want);
  EXPECT_EQ(all_events(s, 4, 5), std::vector<Event>(want.begin() + 2, want.begin() + 4));
  EXPECT_EQ(all_events(s, 7), std::vector<Event>{});   // Nothing yet: not an error.
  EXPECT_EQ(all_events(s, 99), std::vector<Event>{});  // A future revision: nothing either.
  // Without prev_kv.
  std::vector<Event> bare = must(s.events(everything(), 4, 0, 0, false));
  ASSERT_EQ(bare.size(), 3u);
  for (const Event& e : bare) EXPECT_FALSE(e.prev_kv.has_value());
}

TEST(EventsTest, OneRevisionManyChangesInSubOrder) {
  Store s;
  put(s, "c", "0");  // 2
  put(s, "d", "0");  // 3
  // A txn: put b, delete c, put a -> revision 4, subs 0, 1, 2 (op order, not key order).
  must(s.txn(TxnRequest{.success = {op_put("b", "B"), op_del("c"), op_put("a", "A")}}));
  // A range delete: revision 5, subs in key order.
  must(s.delete_range({.key = "a", .range_end = "z", .prev_kv = false}));
  const std::vector<Event> want = {
      put_event(kv("b", 4, 4, 1, "B")),
      delete_event("c", 4, kv("c", 2, 2, 1, "0")),
      put_event(kv("a", 4, 4, 1, "A")),
      delete_event("a", 5, kv("a", 4, 4, 1, "A")),
      delete_event("b", 5, kv("b", 4, 4, 1, "B")),
      delete_event("d", 5, kv("d", 3, 3, 1, "0")),
  };
  EXPECT_EQ(all_events(s, 4), want);
  // A read-only txn and a delete of nothing make no revision and no event.
  must(s.txn(TxnRequest{.success = {testing::op_get("a")}}));
  del(s, "nothing");
  EXPECT_EQ(s.revision(), 5);
  EXPECT_EQ(all_events(s, 4), want);
}

TEST(EventsTest, KeyRanges) {
  Store s;
  for (const char* k : {"a", "ab", "abc", "b", "ba"}) put(s, k, "v");  // 2..6
  auto keys = [&](std::string key, std::string end) {
    std::vector<std::string> out;
    for (const Event& e : must(s.events(KeyRange::checked(key, end), 1, 0))) {
      out.push_back(e.kv.key);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(keys("ab", ""), (V{"ab"}));
  EXPECT_EQ(keys("ab", "ac"), (V{"ab", "abc"}));  // The prefix "ab".
  EXPECT_EQ(keys("ab", kZero), (V{"ab", "abc", "b", "ba"}));
  EXPECT_EQ(keys(kZero, kZero), (V{"a", "ab", "abc", "b", "ba"}));
  EXPECT_EQ(keys("b", "c"), (V{"b", "ba"}));
  EXPECT_EQ(keys("zz", ""), V{});
}

TEST(EventsTest, LimitReturnsWholeRevisions) {
  Store s;
  put(s, "a", "1");                                                          // 2
  must(s.txn(TxnRequest{.success = {op_put("b", "1"), op_put("c", "1")}}));  // 3: two changes
  put(s, "d", "1");                                                          // 4
  auto revs = [](const std::vector<Event>& evs) {
    std::vector<int64_t> out;
    for (const Event& e : evs) out.push_back(e.kv.mod_revision);
    return out;
  };
  using V = std::vector<int64_t>;
  EXPECT_EQ(revs(must(s.events(everything(), 1, 0, 1))), (V{2}));
  EXPECT_EQ(revs(must(s.events(everything(), 3, 0, 1))), (V{3, 3}));  // Not split.
  EXPECT_EQ(revs(must(s.events(everything(), 1, 0, 2))), (V{2, 3, 3}));
  EXPECT_EQ(revs(must(s.events(everything(), 1, 0, 4))), (V{2, 3, 3, 4}));
  // A limit counts only events in the range.
  EXPECT_EQ(revs(must(s.events(KeyRange::checked("d", ""), 1, 0, 1))), (V{4}));
  // A byte limit (keys and values, each event here 2 bytes) also ends after a whole revision.
  EXPECT_EQ(revs(must(s.events(everything(), 1, 0, 0, false, 1))), (V{2}));
  EXPECT_EQ(revs(must(s.events(everything(), 1, 0, 0, false, 3))), (V{2, 3, 3}));
  EXPECT_EQ(revs(must(s.events(everything(), 1, 0, 0, false, 100))), (V{2, 3, 3, 4}));
}

TEST(EventsTest, CompactionBoundary) {
  Store s;
  put(s, "a", "1");                                                     // 2
  put(s, "b", "1");                                                     // 3
  must(s.txn(TxnRequest{.success = {op_put("a", "2"), op_del("b")}}));  // 4
  put(s, "c", "1");                                                     // 5
  must(s.compact({.revision = 4}));
  s.check_invariants();
  // Below the compacted revision: etcd's compacted error.
  auto below = s.events(everything(), 3, 0);
  ASSERT_FALSE(below.has_value());
  EXPECT_EQ(below.error().code, ErrorCode::kCompacted);
  EXPECT_FALSE(s.events(everything(), 0, 0).has_value());
  // At it: both changes of revision 4, the dropped tombstone of b included; what came before
  // them is compacted, so no prev_kv.
  const std::vector<Event> at4 = {put_event(kv("a", 2, 4, 2, "2")), delete_event("b", 4),
                                  put_event(kv("c", 5, 5, 1, "1"))};
  EXPECT_EQ(all_events(s, 4), at4);
  EXPECT_EQ(all_events(s, 5), std::vector<Event>(at4.begin() + 2, at4.end()));

  // A restored store cannot know the delete at the compacted revision (etcd cannot either);
  // later revisions are intact.
  Store restored = must(Store::restore(s.image()));
  restored.check_invariants();
  EXPECT_EQ(all_events(restored, 4), (std::vector<Event>{at4[0], at4[2]}));
  EXPECT_EQ(all_events(restored, 5), all_events(s, 5));

  // A later compaction forgets revision 4 everywhere.
  put(s, "a", "3");  // 6
  must(s.compact({.revision = 5}));
  s.check_invariants();
  EXPECT_FALSE(s.events(everything(), 4, 0).has_value());
  EXPECT_EQ(all_events(s, 5),
            (std::vector<Event>{put_event(kv("c", 5, 5, 1, "1")),
                                put_event(kv("a", 2, 6, 3, "3"), kv("a", 2, 4, 2, "2"))}));
}

TEST(EventsTest, RestoreRebuildsTheIndex) {
  Store s;
  for (int i = 0; i < 20; ++i) {
    put(s, "k" + std::to_string(i % 7), std::to_string(i));
    if (i % 5 == 4) del(s, "k" + std::to_string(i % 3));
  }
  must(s.compact({.revision = 9}));
  Store restored = must(Store::restore(s.image()));
  restored.check_invariants();
  for (int64_t from = 10; from <= s.revision() + 1; ++from) {
    EXPECT_EQ(all_events(restored, from), all_events(s, from)) << from;
  }
  // And it keeps being maintained after the restore.
  put(restored, "new", "v");
  del(restored, "k1");
  restored.check_invariants();
  EXPECT_EQ(all_events(restored, restored.revision() - 1).size(), 2u);
}

// Randomized: replay seeded operations on a Store and on a model that computes each write's
// events from the map before and after it; every events() read must match the model's log.
class EventsModelTest : public ::testing::Test {
 protected:
  using Map = std::map<std::string, KeyValue>;

  std::string key() { return "k" + std::to_string(prng_.uniform(6)); }

  std::pair<std::string, std::string> range() {
    switch (prng_.uniform(4)) {
      case 0:
        return {key(), ""};
      case 1: {
        std::string lo = key(), hi = key();
        if (lo == hi) return {lo, ""};
        return lo < hi ? std::pair{lo, hi} : std::pair{hi, lo};
      }
      case 2:
        return {key(), kZero};
      default:
        return {kZero, kZero};
    }
  }

  // The model's side of a write: changes made to `next` in op order become the revision's events.
  void model_put(Map& next, std::vector<Event>& evs, const std::string& k, const std::string& v) {
    const int64_t rev = revision_ + 1;
    auto it = next.find(k);
    std::optional<KeyValue> prev;
    if (it != next.end()) prev = it->second;
    KeyValue now =
        prev ? kv(k, prev->create_revision, rev, prev->version + 1, v) : kv(k, rev, rev, 1, v);
    next[k] = now;
    evs.push_back(put_event(now, prev));
  }
  void model_delete(Map& next, std::vector<Event>& evs, const std::string& lo,
                    const std::string& hi) {
    const KeyRange r = KeyRange::checked(lo, hi);
    for (auto it = next.begin(); it != next.end();) {
      if (!r.contains(it->first)) {
        ++it;
        continue;
      }
      evs.push_back(delete_event(it->first, revision_ + 1, it->second));
      it = next.erase(it);
    }
  }
  void commit(Map next, std::vector<Event> evs) {
    if (evs.empty()) return;
    ++revision_;
    now_ = std::move(next);
    log_.insert(log_.end(), evs.begin(), evs.end());
  }

  void step() {
    Map next = now_;
    std::vector<Event> evs;
    const uint64_t pick = prng_.uniform(100);
    if (pick < 45) {
      const std::string k = key(), v = std::to_string(prng_.uniform(100));
      put(store_, k, v);
      model_put(next, evs, k, v);
    } else if (pick < 65) {
      auto [lo, hi] = range();
      must(store_.delete_range({.key = lo, .range_end = hi}));
      model_delete(next, evs, lo, hi);
    } else if (pick < 93) {
      // Two puts, then a delete of a range that may take one of them back out.
      const std::string a = key();
      std::string b = key();
      if (b == a) b += "x";
      auto [lo, hi] = range();
      if (KeyRange::checked(lo, hi).contains(a) || KeyRange::checked(lo, hi).contains(b)) {
        lo = "z", hi = "";  // A txn may change a key only once.
      }
      must(store_.txn(TxnRequest{.success = {op_put(a, "A"), op_put(b, "B"), op_del(lo, hi)}}));
      model_put(next, evs, a, "A");
      model_put(next, evs, b, "B");
      model_delete(next, evs, lo, hi);
    } else if (compacted_ < revision_) {
      compacted_ = static_cast<int64_t>(
          prng_.between(static_cast<uint64_t>(compacted_ + 1), static_cast<uint64_t>(revision_)));
      must(store_.compact({.revision = compacted_}));
    }
    commit(std::move(next), std::move(evs));
  }

  // The model's events in [from, to] for the range; at the compacted revision nothing before
  // the change is kept, and (restored) deletes at it are gone.
  std::vector<Event> want(const KeyRange& r, int64_t from, int64_t to, bool restored) const {
    std::vector<Event> out;
    for (Event e : log_) {
      const int64_t rev = e.kv.mod_revision;
      if (rev < from || rev > to || !r.contains(e.kv.key)) continue;
      if (rev == compacted_) {
        if (restored && e.type == Type::kDelete) continue;
        e.prev_kv.reset();
      }
      out.push_back(e);
    }
    return out;
  }

  void check_read(const Store& s, bool restored) {
    auto [lo, hi] = range();
    const KeyRange r = KeyRange::checked(lo, hi);
    const int64_t lowest = std::max<int64_t>(compacted_ - 1, 0);
    const int64_t from = static_cast<int64_t>(
        prng_.between(static_cast<uint64_t>(lowest), static_cast<uint64_t>(revision_ + 1)));
    const int64_t to = prng_.chance(1, 2) ? 0 : from + static_cast<int64_t>(prng_.uniform(5));
    auto got = s.events(r, from, to);
    if (from < compacted_) {
      ASSERT_FALSE(got.has_value());
      EXPECT_EQ(got.error().code, ErrorCode::kCompacted);
      return;
    }
    ASSERT_TRUE(got.has_value()) << got.error().message;
    const std::vector<Event> expected = want(r, from, to <= 0 ? revision_ : to, restored);
    EXPECT_EQ(*got, expected) << "from " << from << " to " << to;
    // Paging with a limit (of events or of bytes), from the last revision + 1, gives the same
    // events.
    const bool by_bytes = prng_.chance(1, 2);
    const size_t limit = by_bytes ? 0 : 1 + prng_.uniform(3);
    const size_t max_bytes = by_bytes ? 1 + prng_.uniform(12) : 0;
    std::vector<Event> paged;
    int64_t at = from;
    for (int pages = 0; pages < 1000; ++pages) {
      std::vector<Event> page = must(s.events(r, at, to, limit, true, max_bytes));
      paged.insert(paged.end(), page.begin(), page.end());
      size_t bytes = 0;
      for (const Event& e : page) bytes += event_bytes(e);
      const bool cut = by_bytes ? bytes >= max_bytes : page.size() >= limit;
      if (!cut) break;
      at = page.back().kv.mod_revision + 1;
    }
    EXPECT_EQ(paged, expected);
  }

  Prng prng_{0};
  Store store_;
  Map now_;
  std::vector<Event> log_;
  int64_t revision_ = 1;
  int64_t compacted_ = 0;
};

TEST_F(EventsModelTest, MatchesReplay) {
  for (uint64_t seed = 1; seed <= 20 && !HasFatalFailure(); ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    prng_.reseed(seed);
    store_ = Store();
    now_.clear();
    log_.clear();
    revision_ = 1;
    compacted_ = 0;
    for (int i = 0; i < 300 && !HasFatalFailure(); ++i) {
      step();
      ASSERT_EQ(store_.revision(), revision_);
      check_read(store_, false);
      if (i % 50 == 0) store_.check_invariants();
    }
    store_.check_invariants();
    const Store restored = must(Store::restore(store_.image()));
    for (int i = 0; i < 50 && !HasFatalFailure(); ++i) check_read(restored, true);
  }
}

}  // namespace
}  // namespace regent::kv
