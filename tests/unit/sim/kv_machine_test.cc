// The simulator's state machine: a snapshot image restores exactly the map it came from.
#include "sim/kv_machine.h"

#include <gtest/gtest.h>

namespace regent::sim {
namespace {

TEST(KvMachine, AnImageRestoresTheSameMap) {
  KvMachine a;
  a.apply(Command{.key = "k1", .value = "v1"});
  a.apply(Command{.key = std::string("k\0|2", 4), .value = ""});
  KvMachine b;
  b.apply(Command{.key = "stale", .value = "x"});
  ASSERT_TRUE(b.restore(a.image()));
  EXPECT_EQ(b.get("k1"), "v1");
  EXPECT_EQ(b.get(std::string("k\0|2", 4)), "");
  EXPECT_EQ(b.get("stale"), std::nullopt);
  EXPECT_EQ(b.image(), a.image());
}

TEST(KvMachine, TheBootstrapImageIsEmptyAndGarbageIsRefused) {
  KvMachine m;
  m.apply(Command{.key = "k", .value = "v"});
  EXPECT_FALSE(m.restore("K|3:ab"));  // Cut short.
  EXPECT_EQ(m.get("k"), "v");         // Unchanged by a failed restore.
  ASSERT_TRUE(m.restore(""));
  EXPECT_EQ(m.get("k"), std::nullopt);
}

TEST(KvMachine, PaddingRoundTripsAndIsIgnored) {
  Command c{.request_id = 7, .key = "k", .value = "v", .padding = 1000};
  const std::string bytes = encode_command(c);
  EXPECT_GT(bytes.size(), 1000u);
  auto decoded = decode_command(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->padding, 1000u);
  EXPECT_EQ(decoded->value, "v");
}

}  // namespace
}  // namespace regent::sim
