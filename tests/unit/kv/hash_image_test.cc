// HashKV and the image: equal histories hash and encode equally; restore(image()) is the same
// store; truncated, corrupt or forged images are refused cleanly.
#include <gtest/gtest.h>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "kv/record_codec.h"
#include "kv/store.h"
#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::all_keys;
using testing::del;
using testing::must;
using testing::put;

// The same operations, in the same order, on any store; more rounds extend fewer.
void apply_rounds(Store& s, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    if (i != 0) must(s.lease_grant({.id = i, .ttl = 10 * i}));  // So the image holds leases.
    put(s, "k" + std::to_string(i), std::string(i * 10, 'x'), i);
    put(s, "k0", "round " + std::to_string(i));
    must(s.txn({.compare = {testing::cmp_version("k1", Compare::Result::kGreater, 0)},
                .success = {testing::op_put("t", std::to_string(i)), testing::op_del("k2")},
                .failure = {testing::op_put("f", std::string("\0\xff", 2))}}));
  }
}

void apply_sample(Store& s) {
  apply_rounds(s, 3);
  del(s, "f");
  put(s, std::string("bin\0key", 7), "v");
}

Store sample() {
  Store s;
  apply_sample(s);
  must(s.compact({.revision = 6}));
  put(s, "after", "compaction");
  return s;
}

TEST(HashTest, EqualHistoriesHashEquallyAndOneMorePutDiffers) {
  Store a;
  Store b;
  apply_sample(a);
  apply_sample(b);
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.image(), b.image());
  put(b, "k0", "one more");
  EXPECT_NE(a.hash(), b.hash());
  put(a, "k0", "one more");
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_NE(Store().hash(), a.hash());
}

TEST(HashTest, AHashAtAPastRevisionEqualsTheHashOfAStoreThatStoppedThere) {
  Store full;
  apply_rounds(full, 5);
  for (int rounds = 0; rounds <= 5; ++rounds) {
    SCOPED_TRACE(rounds);
    Store partial;
    apply_rounds(partial, rounds);
    HashKvResponse r = must(full.hash_kv(partial.revision()));
    EXPECT_EQ(r.revision, full.revision());
    EXPECT_EQ(r.hash, must(partial.hash_kv(0)).hash);
  }
}

TEST(HashTest, RefusesFutureAndCompactedRevisions) {
  Store s = sample();
  EXPECT_EQ(s.hash_kv(s.revision() + 1).error().code, ErrorCode::kFutureRevision);
  EXPECT_EQ(s.hash_kv(6).error().code, ErrorCode::kCompacted);  // At the compacted revision.
  EXPECT_EQ(s.hash_kv(2).error().code, ErrorCode::kCompacted);
  EXPECT_TRUE(s.hash_kv(7).has_value());
  EXPECT_EQ(must(s.hash_kv(0)).compact_revision, 6);
}

void expect_same(const Store& a, const Store& b) {
  EXPECT_EQ(a.image(), b.image());
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_EQ(a.revision(), b.revision());
  EXPECT_EQ(a.compact_revision(), b.compact_revision());
  EXPECT_EQ(a.version_count(), b.version_count());
  for (int64_t rev = 0; rev <= a.revision() + 1; ++rev) {
    SCOPED_TRACE(rev);
    auto x = a.range(all_keys(rev));
    auto y = b.range(all_keys(rev));
    ASSERT_EQ(x.has_value(), y.has_value());
    if (x.has_value()) {
      EXPECT_EQ(*x, *y);
    } else {
      EXPECT_EQ(x.error(), y.error());
    }
  }
}

TEST(ImageTest, RestoreGivesBackTheSameStore) {
  for (const Store& original : {Store(), sample()}) {
    Store restored = must(Store::restore(original.image()));
    restored.check_invariants();
    expect_same(original, restored);
    // And they stay the same under the same operations.
    Store copy = original;
    put(copy, "k0", "next");
    put(restored, "k0", "next");
    expect_same(copy, restored);
  }
}

TEST(ImageTest, EveryTruncationAndEveryFlippedByteIsRefused) {
  const std::string image = sample().image();
  for (size_t n = 0; n < image.size(); ++n) {
    auto r = Store::restore(std::string_view(image).substr(0, n));
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().code, ErrorCode::kCorruptImage);
  }
  EXPECT_FALSE(Store::restore(image + "x").has_value());
  for (size_t i = 0; i < image.size(); ++i) {
    std::string bad = image;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    ASSERT_FALSE(Store::restore(bad).has_value()) << i;
  }
}

// Images whose checksum is right but whose body is not: the decoder itself must refuse them.
constexpr size_t kHeaderBytes = 9;  // "RGKV", version 2, CRC-32C.

std::string with_body(std::string_view body) {
  std::string out("RGKV\x02", 5);
  put_fixed32(out, crc32c(body));
  out.append(body);
  return out;
}

TEST(ImageTest, EveryTruncatedBodyWithAGoodChecksumIsRefused) {
  const std::string body = sample().image().substr(kHeaderBytes);
  ASSERT_TRUE(Store::restore(with_body(body)).has_value());
  for (size_t n = 0; n < body.size(); ++n) {
    auto r = Store::restore(with_body(body.substr(0, n)));
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().code, ErrorCode::kCorruptImage);
  }
}

TEST(ImageTest, MutatedBodiesWithAGoodChecksumAreRefusedOrValid) {
  const std::string body = sample().image().substr(kHeaderBytes);
  int accepted = 0;
  int refused = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    for (uint8_t mask : {0x01, 0x02, 0x40, 0x80, 0xff}) {
      std::string bad = body;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      auto r = Store::restore(with_body(bad));
      if (!r.has_value()) {
        ++refused;
        EXPECT_EQ(r.error().code, ErrorCode::kCorruptImage);
        continue;
      }
      // Accepted: it must be a valid store, and the image must be canonical.
      ++accepted;
      r->check_invariants();
      EXPECT_EQ(r->image(), with_body(bad)) << i;
    }
  }
  // Values and leases are free bytes, so some mutations are valid stores; revisions, counts,
  // lengths and versions are not.
  EXPECT_GT(accepted, 0);
  EXPECT_GT(refused, 0);
}

// A body by hand: revision, compacted, then keys with their records.
struct Forged {
  int64_t revision = 1;
  int64_t compacted = 0;
  std::vector<std::pair<std::string, std::vector<Record>>> keys;
  std::optional<uint64_t> key_count;  // A lie, if set.

  std::string image() const {
    std::string body;
    put_varint(body, static_cast<uint64_t>(revision));
    put_varint(body, static_cast<uint64_t>(compacted));
    put_varint(body, key_count.value_or(keys.size()));
    for (const auto& [key, records] : keys) {
      put_varint(body, key.size());
      body.append(key);
      put_varint(body, records.size());
      for (const Record& r : records) put_record(body, r);
    }
    put_varint(body, 0);  // No leases.
    return with_body(body);
  }
};

Record put_at(int64_t main, int64_t create, int64_t version, int64_t sub = 0) {
  return Record{.rev = {main, sub}, .create_revision = create, .version = version, .value = "v"};
}

Record tomb_at(int64_t main, int64_t sub = 0) {
  return Record{.rev = {main, sub}, .tombstone = true};
}

TEST(ImageTest, ForgedStoresThatBreakAnInvariantAreRefused) {
  struct Case {
    const char* name;
    Forged forged;
    bool valid;
  };
  const std::vector<Case> cases = {
      {"valid", {3, 0, {{"a", {put_at(2, 2, 1), put_at(3, 2, 2)}}}}, true},
      {"valid after compaction", {4, 3, {{"a", {put_at(3, 2, 2), tomb_at(4)}}}}, true},
      {"valid txn subs", {2, 0, {{"a", {put_at(2, 2, 1)}}, {"b", {put_at(2, 2, 1, 1)}}}}, true},
      {"revision 0", {0, 0, {}}, false},
      {"compacted everything", {kMaxRevision, kMaxRevision, {}}, true},
      {"revision beyond the maximum", {kMaxRevision + 1, kMaxRevision + 1, {}}, false},
      {"compacted beyond revision", {2, 3, {{"a", {put_at(2, 2, 1)}}}}, false},
      {"record beyond revision", {2, 0, {{"a", {put_at(3, 3, 1)}}}}, false},
      {"revision without a change", {3, 0, {{"a", {put_at(2, 2, 1)}}}}, false},
      {"empty key", {2, 0, {{"", {put_at(2, 2, 1)}}}}, false},
      {"empty history", {2, 0, {{"a", {put_at(2, 2, 1)}}, {"b", {}}}}, false},
      {"keys out of order", {3, 0, {{"b", {put_at(2, 2, 1)}}, {"a", {put_at(3, 3, 1)}}}}, false},
      {"same key twice", {3, 0, {{"a", {put_at(2, 2, 1)}}, {"a", {put_at(3, 3, 1)}}}}, false},
      {"shared revision", {2, 0, {{"a", {put_at(2, 2, 1)}}, {"b", {put_at(2, 2, 1)}}}}, false},
      {"sub gap", {2, 0, {{"a", {put_at(2, 2, 1)}}, {"b", {put_at(2, 2, 1, 2)}}}}, false},
      {"starts with a tombstone", {3, 0, {{"a", {tomb_at(2), put_at(3, 3, 1)}}}}, false},
      {"two tombstones", {4, 0, {{"a", {put_at(2, 2, 1), tomb_at(3), tomb_at(4)}}}}, false},
      {"version gap", {3, 0, {{"a", {put_at(2, 2, 1), put_at(3, 2, 3)}}}}, false},
      {"create changes", {3, 0, {{"a", {put_at(2, 2, 1), put_at(3, 3, 2)}}}}, false},
      {"new generation keeps version",
       {4, 0, {{"a", {put_at(2, 2, 1), tomb_at(3), put_at(4, 2, 2)}}}},
       false},
      {"missing elders without compaction", {3, 0, {{"a", {put_at(3, 2, 2)}}}}, false},
      {"two records before the compaction",
       {3, 3, {{"a", {put_at(2, 2, 1), put_at(3, 2, 2)}}}},
       false},
      {"revisions out of order", {3, 0, {{"a", {put_at(3, 3, 1), put_at(2, 3, 2)}}}}, false},
      {"key count lies", {2, 0, {{"a", {put_at(2, 2, 1)}}}, uint64_t{1} << 40}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Store::restore(c.forged.image());
    EXPECT_EQ(r.has_value(), c.valid) << (r.has_value() ? "" : r.error().message);
    if (r.has_value()) r->check_invariants();
  }
}

TEST(ImageTest, AHugeRecordCountIsRefusedWithoutAllocating) {
  std::string body;
  put_varint(body, 2);
  put_varint(body, 0);
  put_varint(body, 1);
  put_varint(body, 1);
  body.push_back('a');
  put_varint(body, uint64_t{1} << 62);
  EXPECT_FALSE(Store::restore(with_body(body)).has_value());
}

}  // namespace
}  // namespace regent::kv
