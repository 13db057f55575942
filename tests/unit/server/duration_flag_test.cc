// Go-style durations for etcd's duration flags.
#include "server/duration_flag.h"

#include <gtest/gtest.h>

namespace regent::server {
namespace {

using std::chrono::nanoseconds;

TEST(DurationFlag, GoSpellings) {
  EXPECT_EQ(*parse_duration("10m"), std::chrono::minutes(10));
  EXPECT_EQ(*parse_duration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(*parse_duration("2m30s"), std::chrono::seconds(150));
  EXPECT_EQ(*parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(*parse_duration("1h"), std::chrono::hours(1));
  EXPECT_EQ(*parse_duration("3us"), std::chrono::microseconds(3));
  EXPECT_EQ(*parse_duration("3\u00b5s"), std::chrono::microseconds(3));
  EXPECT_EQ(*parse_duration("7ns"), nanoseconds(7));
  EXPECT_EQ(*parse_duration("0"), nanoseconds(0));
  EXPECT_EQ(*parse_duration("+1s"), std::chrono::seconds(1));
}

TEST(DurationFlag, RefusesWhatGoRefuses) {
  for (const char* bad : {"", "10", "-1s", "1x", "s", "1..5s", ".s", "1s2", "abc"}) {
    auto d = parse_duration(bad);
    EXPECT_FALSE(d.has_value()) << bad;
    if (!d) {
      EXPECT_NE(d.error().find("invalid duration"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace regent::server
