// bcrypt password hashes (libxcrypt): a fresh salt each time, checked by the same password only.
// Cost 4 (bcrypt's least) keeps the test fast; the default cost is etcd's 10.
#include "server/auth/password_hash.h"

#include <gtest/gtest.h>

#include <string>

namespace regent::server {
namespace {

constexpr int kFast = 4;

TEST(PasswordHashTest, MatchesOnlyItsPassword) {
  auto h = hash_password("s3cret", kFast);
  ASSERT_TRUE(h) << h.error();
  EXPECT_EQ(h->rfind("$2b$04$", 0), 0u) << *h;
  EXPECT_TRUE(password_matches("s3cret", *h));
  EXPECT_FALSE(password_matches("s3cret ", *h));
  EXPECT_FALSE(password_matches("", *h));
}

TEST(PasswordHashTest, SaltIsFreshEachTime) {
  auto a = hash_password("pw", kFast);
  auto b = hash_password("pw", kFast);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(password_matches("pw", *a));
  EXPECT_TRUE(password_matches("pw", *b));
}

TEST(PasswordHashTest, DefaultCostIsEtcds) {
  auto h = hash_password("pw");
  ASSERT_TRUE(h) << h.error();
  EXPECT_EQ(h->rfind("$2b$10$", 0), 0u) << *h;
}

TEST(PasswordHashTest, RefusesWhatBcryptWouldTruncate) {
  EXPECT_FALSE(hash_password(std::string(kMaxPasswordBytes + 1, 'x'), kFast));
  EXPECT_TRUE(hash_password(std::string(kMaxPasswordBytes, 'x'), kFast));
  EXPECT_FALSE(hash_password(std::string("a\0b", 3), kFast));
}

TEST(PasswordHashTest, NoHashOrAMalformedOneNeverMatches) {
  EXPECT_FALSE(password_matches("", ""));
  EXPECT_FALSE(password_matches("pw", ""));
  EXPECT_FALSE(password_matches("pw", "not a hash"));
  EXPECT_FALSE(password_matches("pw", "$2b$04$short"));
}

}  // namespace
}  // namespace regent::server
