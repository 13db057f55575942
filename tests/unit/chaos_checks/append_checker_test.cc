// The list-append checker (tools/chaos/append_checker.h) on small hand-made histories: serial ones
// pass, and each anomaly it claims to find is found.
#include "append_checker.h"

#include <gtest/gtest.h>

namespace regent::chaos {
namespace {

MicroOp append(std::string key, uint64_t e) { return {.key = key, .append = true, .element = e}; }
MicroOp read(std::string key, std::vector<uint64_t> list) { return {.key = key, .read = list}; }

AppendTxn txn(uint64_t id, uint64_t invoke, uint64_t complete, std::vector<MicroOp> ops,
              Outcome outcome = Outcome::kOk) {
  return {.id = id, .invoke_us = invoke, .complete_us = complete, .outcome = outcome, .ops = ops};
}

size_t violations(const std::vector<AppendTxn>& h) { return check_append(h).violations.size(); }

TEST(AppendCheckerTest, SerialHistoryPasses) {
  EXPECT_EQ(violations({txn(1, 0, 10, {append("x", 1)}), txn(2, 20, 30, {read("x", {1})}),
                        txn(3, 40, 50, {append("x", 2), read("y", {})}),
                        txn(4, 60, 70, {read("x", {1, 2})})}),
            0u);
}

TEST(AppendCheckerTest, ConcurrentTransactionsMayOrderEitherWay) {
  // T2 read x before T1's append took effect, though T1 was invoked first: fine, they overlap.
  EXPECT_EQ(violations({txn(1, 0, 50, {append("x", 1)}), txn(2, 10, 40, {read("x", {})}),
                        txn(3, 60, 70, {read("x", {1})})}),
            0u);
}

TEST(AppendCheckerTest, WriteSkewIsACycle) {
  // Each read the other's key empty and appended to its own: rw both ways.
  auto r = check_append({txn(1, 0, 100, {read("x", {}), append("y", 1)}),
                         txn(2, 0, 100, {read("y", {}), append("x", 2)}),
                         txn(3, 200, 210, {read("x", {2}), read("y", {1})})});
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_NE(r.violations[0].what.find("dependency cycle of 2 transactions (rw,rw)"),
            std::string::npos)
      << r.violations[0].what;
}

TEST(AppendCheckerTest, StaleReadAfterACompletedAppendIsACycle) {
  // Serializable (T2 before T1), but not in real time: T1 completed before T2 began.
  auto r = check_append({txn(1, 0, 10, {append("x", 1)}), txn(2, 20, 30, {read("x", {})}),
                         txn(3, 40, 50, {read("x", {1})})});
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_NE(r.violations[0].what.find("rt"), std::string::npos) << r.violations[0].what;
}

TEST(AppendCheckerTest, ReadsThatAreNotPrefixesOfOneOrder) {
  EXPECT_GE(violations({txn(1, 0, 10, {append("x", 1)}), txn(2, 0, 10, {append("x", 2)}),
                        txn(3, 20, 30, {read("x", {1, 2})}), txn(4, 20, 30, {read("x", {2})})}),
            1u);
}

TEST(AppendCheckerTest, AbortedAndGarbageReads) {
  EXPECT_EQ(violations({txn(1, 0, 10, {append("x", 5)}, Outcome::kFailed),
                        txn(2, 20, 30, {read("x", {5})})}),
            1u);
  EXPECT_EQ(violations({txn(1, 20, 30, {read("x", {7})})}), 1u);
  EXPECT_EQ(violations({txn(1, 0, 10, {append("x", 1)}), txn(2, 20, 30, {read("x", {1, 1})})}), 1u);
}

TEST(AppendCheckerTest, UnknownTransactionsMayHaveHappened) {
  EXPECT_EQ(violations({txn(1, 0, 10, {append("x", 1)}, Outcome::kUnknown),
                        txn(2, 20, 30, {read("x", {1})}), txn(3, 40, 50, {read("x", {1})})}),
            0u);
}

}  // namespace
}  // namespace regent::chaos
