// Leases in the image: restore(image()) gives back the same leases, attachments rebuilt from the
// keys; an image of the first format (no leases) still restores; forged lease sections that
// break an invariant are refused.
#include <gtest/gtest.h>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "kv/record_codec.h"
#include "kv/store.h"
#include "unit/kv/kv_test_util.h"

namespace regent::kv {
namespace {

using testing::must;
using testing::put;

Store with_leases() {
  Store s;
  must(s.lease_grant({.id = 5, .ttl = 10}));
  must(s.lease_grant({.id = -2, .ttl = 300}));
  must(s.lease_grant({.id = int64_t{1} << 62, .ttl = kMaxLeaseTtl}));
  must(s.lease_grant({.id = 6, .ttl = 20}));
  put(s, "a", "1", 5);
  put(s, "b", "2", -2);
  put(s, "c", "3", 5);
  put(s, "d", "4");
  must(s.lease_checkpoint({.checkpoints = {{.id = -2, .remaining_ttl = 120}}}));
  must(s.lease_revoke({.id = 6}));
  return s;
}

TEST(LeaseImageTest, RestoreGivesBackTheSameLeasesAndAttachments) {
  const Store original = with_leases();
  Store restored = must(Store::restore(original.image()));
  restored.check_invariants();
  EXPECT_EQ(restored.leases(), original.leases());
  EXPECT_EQ(restored.image(), original.image());
  EXPECT_EQ(restored.leases().find(-2)->remaining_ttl, 120);
  // And it goes on like the original: the revoke deletes the same keys in one revision.
  Store copy = original;
  EXPECT_EQ(must(restored.lease_revoke({.id = 5})), must(copy.lease_revoke({.id = 5})));
  EXPECT_EQ(restored.image(), copy.image());
  EXPECT_EQ(restored.hash(), copy.hash());
}

// A body by hand: header fields, keys (each one put at its own revision), then leases.
struct Forged {
  std::vector<std::pair<std::string, int64_t>> keys;  // Key and the lease its put names.
  std::vector<Lease> leases;
  std::optional<uint64_t> lease_count;  // A lie, if set.
  uint8_t version = 2;

  std::string image() const {
    std::string body;
    put_varint(body, keys.size() + 1);  // Revision: one put per key after revision 1.
    put_varint(body, 0);
    put_varint(body, keys.size());
    int64_t rev = 1;
    for (const auto& [key, lease] : keys) {
      ++rev;
      put_varint(body, key.size());
      body.append(key);
      put_varint(body, 1);
      put_record(
          body,
          Record{
              .rev = {rev, 0}, .create_revision = rev, .version = 1, .lease = lease, .value = "v"});
    }
    if (version >= 2) {
      put_varint(body, lease_count.value_or(leases.size()));
      for (const Lease& l : leases) {
        put_fixed64(body, static_cast<uint64_t>(l.id));
        put_varint(body, static_cast<uint64_t>(l.ttl));
        put_varint(body, static_cast<uint64_t>(l.remaining_ttl));
      }
    }
    std::string out("RGKV");
    out.push_back(static_cast<char>(version));
    put_fixed32(out, crc32c(body));
    return out + body;
  }
};

TEST(LeaseImageTest, ForgedLeaseSectionsThatBreakAnInvariantAreRefused) {
  struct Case {
    const char* name;
    Forged forged;
    bool valid;
  };
  const std::vector<Case> cases = {
      {"valid", {{{"a", 3}, {"b", 0}}, {{.id = 3, .ttl = 5, .remaining_ttl = 2}}}, true},
      {"valid negative id", {{{"a", -1}}, {{.id = -9, .ttl = 5}, {.id = -1, .ttl = 5}}}, true},
      {"first format, no leases", {{{"a", 0}}, {}, std::nullopt, 1}, true},
      {"first format, a key with a lease", {{{"a", 3}}, {}, std::nullopt, 1}, false},
      {"key naming a missing lease", {{{"a", 4}}, {{.id = 3, .ttl = 5}}}, false},
      {"lease id 0", {{}, {{.id = 0, .ttl = 5}}}, false},
      {"ttl 0", {{}, {{.id = 1, .ttl = 0}}}, false},
      {"ttl too large", {{}, {{.id = 1, .ttl = kMaxLeaseTtl + 1}}}, false},
      {"leases out of order", {{}, {{.id = 2, .ttl = 5}, {.id = 1, .ttl = 5}}}, false},
      {"same lease twice", {{}, {{.id = 2, .ttl = 5}, {.id = 2, .ttl = 5}}}, false},
      {"lease count lies", {{}, {{.id = 2, .ttl = 5}}, uint64_t{1} << 40}, false},
      {"lease count too small", {{}, {{.id = 2, .ttl = 5}}, 0}, false},
      {"unknown version", {{}, {}, std::nullopt, 3}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Store::restore(c.forged.image());
    ASSERT_EQ(r.has_value(), c.valid) << (r ? "" : r.error().message);
    if (r) {
      r->check_invariants();
      for (const auto& [key, lease] : c.forged.keys) {
        if (lease != 0) {
          EXPECT_TRUE(r->leases().find(lease)->keys.contains(key));
        }
      }
    } else {
      EXPECT_EQ(r.error().code, ErrorCode::kCorruptImage);
    }
  }
}

TEST(LeaseImageTest, EveryTruncatedBodyWithAGoodChecksumIsRefused) {
  constexpr size_t kHeaderBytes = 9;  // "RGKV", version 2, CRC-32C.
  const std::string body = with_leases().image().substr(kHeaderBytes);
  auto wrap = [](std::string_view b) {
    std::string out("RGKV\x02", 5);
    put_fixed32(out, crc32c(b));
    return out.append(b);
  };
  ASSERT_TRUE(Store::restore(wrap(body)).has_value());
  for (size_t n = 0; n < body.size(); ++n) {
    auto r = Store::restore(wrap(body.substr(0, n)));
    ASSERT_FALSE(r.has_value()) << n;
    EXPECT_EQ(r.error().code, ErrorCode::kCorruptImage);
  }
}

}  // namespace
}  // namespace regent::kv
