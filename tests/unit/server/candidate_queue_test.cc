// The queue logic behind elections and locks, over a real state machine: who heads the queue,
// who waits for whom, and what a waiter hears when its own key goes.
#include "server/election/candidate_queue.h"

#include <gtest/gtest.h>

namespace regent::server {
namespace {

class CandidateQueueTest : public ::testing::Test {
 protected:
  int64_t put(const std::string& key, const std::string& value = "") {
    regentpb::InternalRequest r;
    r.mutable_put()->set_key(key);
    r.mutable_put()->set_value(value);
    auto out = machine_.apply(r);
    EXPECT_TRUE(out.has_value());
    queues_.on_applied(0, machine_.revision());
    return machine_.revision();
  }
  void del(const std::string& key) {
    regentpb::InternalRequest r;
    r.mutable_delete_range()->set_key(key);
    ASSERT_TRUE(machine_.apply(r).has_value());
    queues_.on_applied(0, machine_.revision());
  }

  StateMachine machine_;
  CandidateQueues queues_{machine_};
};

TEST(PrefixEnd, IsTheFirstKeyAfterThePrefix) {
  EXPECT_EQ(prefix_end("a/"), "a0");
  EXPECT_EQ(prefix_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(prefix_end(std::string("\xff\xff", 2)), std::string(1, '\0'));
}

TEST_F(CandidateQueueTest, TheOldestKeyLeadsAndTheNextWaitsOnlyForIt) {
  const int64_t a = put("e/a");
  const int64_t b = put("e/b");
  const int64_t c = put("e/c");
  std::vector<std::string> turns;
  auto record = [&](std::string who) {
    return [&turns, who](Expected<void, Failure> r) {
      turns.push_back(who + (r ? " leads" : " lost: " + r.error().message));
    };
  };
  queues_.wait_turn("e/", "e/a", a, record("a"));
  queues_.wait_turn("e/", "e/b", b, record("b"));
  queues_.wait_turn("e/", "e/c", c, record("c"));
  EXPECT_EQ(turns, std::vector<std::string>{"a leads"});  // At once.
  put("other/x");
  put("e/a", "new value");  // Still there: nobody moves.
  EXPECT_EQ(turns, std::vector<std::string>{"a leads"});
  del("e/b");  // b's own key went: b hears so, and c now waits for a.
  EXPECT_EQ(turns, (std::vector<std::string>{"a leads", "b lost: election: session expired"}));
  del("e/a");
  EXPECT_EQ(turns,
            (std::vector<std::string>{"a leads", "b lost: election: session expired", "c leads"}));
}

TEST_F(CandidateQueueTest, AWaiterWhoseKeyVanishesLosesItsPlace) {
  put("l/a");
  const int64_t b = put("l/b");
  std::optional<Expected<void, Failure>> outcome;
  queues_.wait_turn("l/", "l/b", b, [&](Expected<void, Failure> r) { outcome = std::move(r); });
  EXPECT_FALSE(outcome.has_value());
  del("l/b");  // Its lease expired, say.
  ASSERT_TRUE(outcome.has_value());
  ASSERT_FALSE(outcome->has_value());
  EXPECT_EQ(outcome->error().message, "election: session expired");
}

TEST_F(CandidateQueueTest, AKeyRecreatedAfterItsWaiterJoinedIsNotTheWaiter) {
  const int64_t a = put("q/a");
  del("q/a");
  put("q/a");  // Same name, new create revision: someone else's candidacy.
  std::optional<Expected<void, Failure>> outcome;
  queues_.wait_turn("q/", "q/a", a, [&](Expected<void, Failure> r) { outcome = std::move(r); });
  ASSERT_TRUE(outcome.has_value());
  EXPECT_FALSE(outcome->has_value());
}

TEST_F(CandidateQueueTest, HeadWatchersHearEveryChangeOfTheHeadOnce) {
  std::vector<std::string> seen;
  queues_.watch_head("h/", [&](const std::optional<kv::KeyValue>& kv) {
    seen.push_back(kv ? kv->key + "=" + kv->value : "none");
  });
  put("h/a", "1");
  put("h/b", "2");  // Not the head: nothing to report.
  put("h/a", "3");  // The head's value changed.
  del("h/a");
  del("h/b");
  EXPECT_EQ(seen, (std::vector<std::string>{"none", "h/a=1", "h/a=3", "h/b=2", "none"}));
}

TEST_F(CandidateQueueTest, CancelledWaitersAreNeverCalled) {
  put("c/a");
  const int64_t b = put("c/b");
  bool called = false;
  const uint64_t handle =
      queues_.wait_turn("c/", "c/b", b, [&](Expected<void, Failure>) { called = true; });
  EXPECT_TRUE(queues_.cancel(handle));
  del("c/a");
  EXPECT_FALSE(called);
  EXPECT_FALSE(queues_.cancel(handle));
}

}  // namespace
}  // namespace regent::server
