#include "raft/errors.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace regent::raft {
namespace {

TEST(RaftErrorsTest, ToString) {
  EXPECT_EQ(to_string(Error::kOk), "ok");
  EXPECT_EQ(to_string(Error::kNoLeader), "no leader");
  EXPECT_EQ(to_string(Error::kTooManyUncommitted), "too many uncommitted proposals");
  EXPECT_EQ(to_string(static_cast<Error>(200)), "unknown error");
}

TEST(RaftErrorsTest, EveryErrorHasItsOwnMessage) {
  std::set<std::string> seen;
  for (int e = static_cast<int>(Error::kOk); e <= static_cast<int>(Error::kUnknownPeer); ++e) {
    const std::string msg(to_string(static_cast<Error>(e)));
    SCOPED_TRACE(msg);
    EXPECT_NE(msg, "unknown error");
    EXPECT_TRUE(seen.insert(msg).second);
  }
}

}  // namespace
}  // namespace regent::raft
