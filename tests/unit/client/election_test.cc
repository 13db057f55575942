// Elections between two clients against a real cluster: campaign, observe, proclaim, resign,
// cancellation and session loss.
#include "client/election.h"

#include <gtest/gtest.h>

#include <future>

#include "client/kv.h"
#include "client/lease.h"
#include "unit/client/cluster_fixture.h"

namespace regent::client::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ElectionTest : public ClusterTest {
 protected:
  std::shared_ptr<Session> session(std::chrono::seconds ttl = seconds(10)) {
    auto s = Session::create(connect(), SessionOptions{.ttl = ttl});
    if (!s) {
      last_error_ = s.error();
      return nullptr;
    }
    return *s;
  }
  Error last_error_;
};

#define REGENT_SESSION_OR_SKIP(var)                                                      \
  auto var = session();                                                                  \
  if (!var && unimplemented(last_error_)) GTEST_SKIP() << "the server has no Lease yet"; \
  ASSERT_TRUE(var) << last_error_.describe()

TEST_F(ElectionTest, CampaignObserveProclaimResignBetweenTwoClients) {
  REGENT_SESSION_OR_SKIP(s1);
  REGENT_SESSION_OR_SKIP(s2);
  Election e1(s1, "elect/svc");
  Election e2(s2, "elect/svc");

  auto first = e1.campaign("one", Context::with_timeout(seconds(10)));
  REGENT_SKIP_IF_UNSERVED(first, "Election");
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(first->key, e1.candidate_key());
  EXPECT_EQ(first->lease, s1->lease());

  std::mutex mu;
  std::vector<std::string> seen;
  auto observer = ElectionObserver::start(connect(), "elect/svc", [&](const KeyValue& kv) {
    std::lock_guard lock(mu);
    seen.push_back(kv.value);
  });
  auto saw = [&](const std::string& value) {
    return eventually(
        [&] {
          std::lock_guard lock(mu);
          return !seen.empty() && seen.back() == value;
        },
        milliseconds(10000));
  };
  ASSERT_TRUE(saw("one"));

  // The second candidate waits while the first leads.
  auto second = std::async(std::launch::async,
                           [&] { return e2.campaign("two", Context::with_timeout(seconds(20))); });
  EXPECT_EQ(second.wait_for(milliseconds(1000)), std::future_status::timeout);

  ASSERT_TRUE(e1.proclaim("one-again"));
  ASSERT_TRUE(saw("one-again"));
  auto leader = e2.leader();
  ASSERT_TRUE(leader) << leader.error().describe();
  ASSERT_TRUE(leader->has_value());
  EXPECT_EQ((*leader)->value, "one-again");
  EXPECT_EQ((*leader)->create_revision, first->rev);

  ASSERT_TRUE(e1.resign());
  EXPECT_FALSE(e1.leader_key().has_value());
  ASSERT_EQ(second.wait_for(seconds(10)), std::future_status::ready);
  auto won = second.get();
  ASSERT_TRUE(won) << won.error().describe();
  EXPECT_GT(won->rev, first->rev) << "fencing tokens grow from one term to the next";
  ASSERT_TRUE(saw("two"));

  auto not_leader = e1.proclaim("stale");
  ASSERT_FALSE(not_leader);
  EXPECT_NE(not_leader.error().message.find("not leader"), std::string::npos);
  ASSERT_TRUE(e2.resign());
  auto nobody = election_leader(*s1->client(), "elect/svc");
  ASSERT_TRUE(nobody) << nobody.error().describe();
  EXPECT_FALSE(nobody->has_value());
}

// A service shutting down must be able to stop campaigning: cancel ends the wait promptly and
// leaves no candidacy behind.
TEST_F(ElectionTest, CampaignIsCancellableAndWithdraws) {
  REGENT_SESSION_OR_SKIP(s1);
  REGENT_SESSION_OR_SKIP(s2);
  Election e1(s1, "elect/cancel");
  Election e2(s2, "elect/cancel");
  auto first = e1.campaign("one", Context::with_timeout(seconds(10)));
  REGENT_SKIP_IF_UNSERVED(first, "Election");
  ASSERT_TRUE(first) << first.error().describe();

  Context ctx;
  auto waiting = std::async(std::launch::async, [&] { return e2.campaign("two", ctx); });
  ASSERT_EQ(waiting.wait_for(milliseconds(500)), std::future_status::timeout);
  const auto start = std::chrono::steady_clock::now();
  ctx.cancel();
  ASSERT_EQ(waiting.wait_for(seconds(3)), std::future_status::ready);
  auto r = waiting.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kCancelled) << r.error().describe();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
  auto left = KV(s1->client()).get(e2.candidate_key());
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->kvs.empty()) << "a cancelled campaign leaves no key";

  // A deadline ends a campaign the same way.
  auto timed = e2.campaign("two", Context::with_timeout(milliseconds(500)));
  ASSERT_FALSE(timed);
  EXPECT_EQ(timed.error().code, Code::kDeadlineExceeded) << timed.error().describe();
}

TEST_F(ElectionTest, CampaignEndsWhenItsSessionIsLost) {
  REGENT_SESSION_OR_SKIP(s1);
  auto s2 = session(seconds(3));
  ASSERT_TRUE(s2);
  Election e1(s1, "elect/lost");
  Election e2(s2, "elect/lost");
  auto first = e1.campaign("one", Context::with_timeout(seconds(10)));
  REGENT_SKIP_IF_UNSERVED(first, "Election");
  ASSERT_TRUE(first) << first.error().describe();
  auto waiting = std::async(std::launch::async, [&] { return e2.campaign("two"); });
  ASSERT_EQ(waiting.wait_for(milliseconds(500)), std::future_status::timeout);
  ASSERT_TRUE(Lease(connect()).revoke(s2->lease()));
  ASSERT_EQ(waiting.wait_for(seconds(5)), std::future_status::ready);
  auto r = waiting.get();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("session expired"), std::string::npos) << r.error().describe();
}

}  // namespace
}  // namespace regent::client::testing
