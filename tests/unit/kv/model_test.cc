// Randomized: the same seeded operations applied to a Store and to a reference model that keeps
// a whole std::map per revision; every read at every readable revision must agree.
#include <gtest/gtest.h>

#include <map>

#include "common/prng.h"
#include "kv/store.h"
#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::must;
using Snapshot = std::map<std::string, KeyValue>;

const std::string kZero(1, '\0');

// The obviously-correct store: the full key map as of every revision.
class Model {
 public:
  int64_t revision() const { return static_cast<int64_t>(at_.size()) - 1; }
  int64_t compacted() const { return compacted_; }
  const Snapshot& now() const { return at_.back(); }
  const Snapshot& at(int64_t rev) const { return at_.at(static_cast<size_t>(rev)); }

  // Starts the next revision; `commit` keeps it only if something changed.
  Snapshot begin() const { return now(); }
  void commit(Snapshot next) {
    if (next != now()) at_.push_back(std::move(next));
  }
  void put(Snapshot& s, const std::string& key, const std::string& value, int64_t lease) const {
    const int64_t rev = revision() + 1;
    auto it = s.find(key);
    const int64_t create = it == s.end() ? rev : it->second.create_revision;
    const int64_t version = it == s.end() ? 1 : it->second.version + 1;
    s[key] = KeyValue{key, create, rev, version, value, lease};
  }
  static void erase(Snapshot& s, const KeyRange& range) {
    std::erase_if(s, [&](const auto& kv) { return range.contains(kv.first); });
  }
  void compact(int64_t rev) { compacted_ = rev; }

 private:
  std::vector<Snapshot> at_ = {{}, {}};  // at_[0] is never read; an empty store is at 1.
  int64_t compacted_ = 0;
};

class ModelTest : public ::testing::Test {
 protected:
  std::string key() { return "k" + std::to_string(prng_.uniform(8)); }
  std::string value() {
    return std::string(prng_.uniform(4), static_cast<char>('a' + prng_.uniform(3)));
  }

  // A random range: a single key, [lo, hi), from a key, or everything.
  std::pair<std::string, std::string> range() {
    switch (prng_.uniform(4)) {
      case 0:
        return {key(), ""};
      case 1: {
        std::string lo = key();
        std::string hi = key();
        if (lo == hi) return {lo, ""};
        return lo < hi ? std::pair{lo, hi} : std::pair{hi, lo};
      }
      case 2:
        return {key(), kZero};
      default:
        return {kZero, kZero};
    }
  }

  void step() {
    const uint64_t pick = prng_.uniform(100);
    if (pick < 45) {
      do_put();
    } else if (pick < 65) {
      do_delete();
    } else if (pick < 90) {
      do_txn();
    } else if (pick < 95) {
      do_compact();
    } else {
      EXPECT_EQ(must(store_.range(testing::all_keys())).count,
                static_cast<int64_t>(model_.now().size()));
    }
  }

  void do_put() {
    const std::string k = key();
    const bool ignore_value = prng_.chance(1, 5);
    PutRequest r{.key = k, .lease = static_cast<int64_t>(prng_.uniform(3))};
    if (ignore_value)
      r.ignore_value = true;
    else
      r.value = value();
    auto result = store_.put(r);
    auto it = model_.now().find(k);
    if (ignore_value && it == model_.now().end()) {
      ASSERT_FALSE(result.has_value());
      EXPECT_EQ(result.error().code, ErrorCode::kKeyNotFound);
      return;
    }
    ASSERT_TRUE(result.has_value()) << result.error().message;
    Snapshot next = model_.begin();
    model_.put(next, k, ignore_value ? it->second.value : r.value, r.lease);
    model_.commit(std::move(next));
  }

  void do_delete() {
    auto [k, end] = range();
    DeleteRangeResponse r = must(store_.delete_range({.key = k, .range_end = end}));
    Snapshot next = model_.begin();
    Model::erase(next, KeyRange::checked(k, end));
    EXPECT_EQ(r.deleted, static_cast<int64_t>(model_.now().size() - next.size()));
    model_.commit(std::move(next));
  }

  // if version(c) == v then put a, put b else delete a range.
  void do_txn() {
    const std::string c = key();
    auto it = model_.now().find(c);
    const int64_t actual = it == model_.now().end() ? 0 : it->second.version;
    const int64_t v = actual + static_cast<int64_t>(prng_.uniform(2));
    const std::string a = key();
    std::string b = key();
    if (b == a) b += "x";
    auto [lo, hi] = range();
    TxnRequest t{.compare = {testing::cmp_version(c, Compare::Result::kEqual, v)},
                 .success = {testing::op_put(a, "A"), testing::op_put(b, "B")},
                 .failure = {testing::op_del(lo, hi)}};
    TxnResponse r = must(store_.txn(t));
    EXPECT_EQ(r.succeeded, v == actual);
    Snapshot next = model_.begin();
    if (v == actual) {
      model_.put(next, a, "A", 0);
      model_.put(next, b, "B", 0);
    } else {
      Model::erase(next, KeyRange::checked(lo, hi));
    }
    model_.commit(std::move(next));
  }

  void do_compact() {
    if (model_.compacted() >= model_.revision()) return;
    const int64_t rev = static_cast<int64_t>(prng_.between(
        static_cast<uint64_t>(model_.compacted() + 1), static_cast<uint64_t>(model_.revision())));
    must(store_.compact({.revision = rev}));
    model_.compact(rev);
  }

  // Reads [k, end) at `rev` from both and compares, with a random limit.
  void check_read(const std::string& k, const std::string& end, int64_t rev) {
    const int64_t limit = static_cast<int64_t>(prng_.uniform(4));
    auto result = store_.range({.key = k, .range_end = end, .limit = limit, .revision = rev});
    if (rev > model_.revision() || (rev > 0 && rev < model_.compacted())) {
      ASSERT_FALSE(result.has_value());
      EXPECT_EQ(result.error().code,
                rev > model_.revision() ? ErrorCode::kFutureRevision : ErrorCode::kCompacted);
      return;
    }
    ASSERT_TRUE(result.has_value()) << result.error().message;
    Snapshot want = model_.at(rev > 0 ? rev : model_.revision());
    std::erase_if(want,
                  [&](const auto& kv) { return !KeyRange::checked(k, end).contains(kv.first); });
    std::vector<KeyValue> kvs;
    for (const auto& [key, kv] : want) kvs.push_back(kv);
    EXPECT_EQ(result->count, static_cast<int64_t>(kvs.size()));
    const bool more = limit > 0 && kvs.size() > static_cast<size_t>(limit);
    if (more) kvs.resize(static_cast<size_t>(limit));
    EXPECT_EQ(result->kvs, kvs);
    EXPECT_EQ(result->more, more);
  }

  void check_random_read() {
    auto [k, end] = range();
    const int64_t lowest = std::max<int64_t>(model_.compacted() - 1, 0);
    const int64_t rev = static_cast<int64_t>(
        prng_.between(static_cast<uint64_t>(lowest), static_cast<uint64_t>(model_.revision() + 1)));
    check_read(k, end, rev);
  }

  void run(uint64_t seed, int ops) {
    prng_.reseed(seed);
    for (int i = 0; i < ops && !HasFatalFailure(); ++i) {
      SCOPED_TRACE(::testing::Message() << "op " << i);
      step();
      check_random_read();
      EXPECT_EQ(store_.revision(), model_.revision());
      if (i % 50 == 0) store_.check_invariants();
    }
    store_.check_invariants();
    for (int64_t rev = model_.compacted(); rev <= model_.revision(); ++rev) {
      check_read(kZero, kZero, std::max<int64_t>(rev, 1));
    }
    Store restored = must(Store::restore(store_.image()));
    EXPECT_EQ(restored.hash(), store_.hash());
    store_ = std::move(restored);
    for (int i = 0; i < 50; ++i) check_random_read();
  }

  Prng prng_{0};
  Store store_;
  Model model_;
};

TEST_F(ModelTest, RandomOperationsMatchTheModel) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    store_ = Store();
    // Puts name lease 1, 2 or none; a put naming a lease that does not exist would fail.
    for (int64_t id : {1, 2}) must(store_.lease_grant({.id = id, .ttl = 60}));
    model_ = Model();
    run(seed, 400);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace regent::kv
