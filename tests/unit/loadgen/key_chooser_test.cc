#include "loadgen/key_chooser.h"

#include <gtest/gtest.h>

#include <set>

namespace regent::loadgen {
namespace {

TEST(KeyChooserTest, KeysHaveExactlyKeySizeBytes) {
  EXPECT_EQ(format_key(42, 8), "k0000042");
  EXPECT_EQ(format_key(0, 8), "k0000000");
  EXPECT_EQ(format_key(9'999'999, 8), "k9999999");
  EXPECT_EQ(format_key(0, 1), "k");
  EXPECT_EQ(format_key(7, 2), "k7");
  for (int size = 1; size <= 40; ++size) {
    SCOPED_TRACE(size);
    KeyChooser keys({.key_size = size, .size = 1, .sequential = false}, 1);
    EXPECT_EQ(keys.key(0).size(), static_cast<size_t>(size));
  }
  KeyChooser big({.key_size = 300, .size = 1'000'000, .sequential = true}, 1);
  EXPECT_EQ(big.key(999'999).size(), 300u);
  EXPECT_EQ(big.key(999'999)[0], 'k');
  EXPECT_EQ(big.key(999'999).substr(294), "999999");
  EXPECT_EQ(big.key(999'999).substr(1, 293), std::string(293, '0'));
}

TEST(KeyChooserTest, KeyFitsChecksTheDigitsAvailable) {
  EXPECT_TRUE(key_fits(1, 1));
  EXPECT_FALSE(key_fits(1, 2));
  EXPECT_TRUE(key_fits(8, 10'000'000));  // k0000000 .. k9999999
  EXPECT_FALSE(key_fits(8, 10'000'001));
  EXPECT_TRUE(key_fits(25, UINT64_MAX));  // Any 64-bit index fits in 24 digits.
  EXPECT_FALSE(key_fits(0, 1));
  EXPECT_FALSE(key_fits(8, 0));
}

TEST(KeyChooserTest, SequentialKeysFollowRequestNumbersAndWrap) {
  KeyChooser keys({.key_size = 4, .size = 5, .sequential = true}, 1);
  std::vector<uint64_t> got;
  for (uint64_t n = 0; n < 12; ++n) got.push_back(keys.choose(n));
  EXPECT_EQ(got, (std::vector<uint64_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1}));
  EXPECT_EQ(keys.key(keys.choose(7)), "k002");
}

TEST(KeyChooserTest, RandomKeysStayInTheKeySpaceAndCoverIt) {
  KeyChooser keys({.key_size = 8, .size = 10, .sequential = false}, 99);
  std::set<uint64_t> seen;
  for (uint64_t n = 0; n < 10'000; ++n) {
    const uint64_t i = keys.choose(n);
    ASSERT_LT(i, 10u);
    seen.insert(i);
    ASSERT_EQ(keys.key(i).size(), 8u);
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(KeyChooserTest, RandomKeysAreRepeatableFromTheSeed) {
  KeyChooser a({.key_size = 8, .size = 1'000'000, .sequential = false}, 5);
  KeyChooser b({.key_size = 8, .size = 1'000'000, .sequential = false}, 5);
  KeyChooser c({.key_size = 8, .size = 1'000'000, .sequential = false}, 6);
  bool differs = false;
  for (uint64_t n = 0; n < 100; ++n) {
    const uint64_t x = a.choose(n);
    EXPECT_EQ(x, b.choose(n));
    differs |= x != c.choose(n);
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace regent::loadgen
