// Leases, keep-alives and sessions against a real cluster.
#include "client/lease.h"

#include <gtest/gtest.h>

#include <future>

#include "client/keep_alive.h"
#include "client/kv.h"
#include "client/session.h"
#include "unit/client/cluster_fixture.h"
#include "unit/client/tcp_proxy.h"

namespace regent::client::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

class LeaseTest : public ClusterTest {};

TEST_F(LeaseTest, GrantAttachTimeToLiveListRevoke) {
  auto client = connect();
  Lease lease(client);
  auto granted = lease.grant(30);
  REGENT_SKIP_IF_UNSERVED(granted, "Lease");
  ASSERT_TRUE(granted) << granted.error().describe();
  EXPECT_EQ(granted->ttl, 30);
  KV kv(client);
  ASSERT_TRUE(kv.put("l/k", "v", PutOptions{.lease = granted->id}));
  auto ttl = lease.time_to_live(granted->id, true);
  ASSERT_TRUE(ttl);
  EXPECT_EQ(ttl->granted_ttl, 30);
  EXPECT_GT(ttl->ttl, 25);
  EXPECT_EQ(ttl->keys, std::vector<std::string>{"l/k"});
  auto listed = lease.leases();
  ASSERT_TRUE(listed);
  EXPECT_NE(std::find(listed->leases.begin(), listed->leases.end(), granted->id),
            listed->leases.end());
  auto once = lease.keep_alive_once(granted->id);
  ASSERT_TRUE(once) << once.error().describe();
  EXPECT_EQ(once->ttl, 30);
  ASSERT_TRUE(lease.revoke(granted->id));
  auto gone = kv.get("l/k");
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->kvs.empty()) << "a revoked lease takes its keys with it";
  auto after = lease.time_to_live(granted->id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->ttl, -1);
  auto again = lease.revoke(granted->id);
  ASSERT_FALSE(again);
  EXPECT_TRUE(again.error().is_lease_not_found()) << again.error().describe();
  auto renew = lease.keep_alive_once(granted->id);
  ASSERT_FALSE(renew);
  EXPECT_TRUE(renew.error().is_lease_not_found());
}

// A lease whose TTL is far shorter than the test outlives it while kept alive, and expires
// once the keep-alive stops.
TEST_F(LeaseTest, KeepAliveKeepsTheLeaseBeyondItsTtl) {
  auto client = connect();
  Lease lease(client);
  const auto sent = Clock::now();
  auto granted = lease.grant(3);
  REGENT_SKIP_IF_UNSERVED(granted, "Lease");
  ASSERT_TRUE(granted) << granted.error().describe();
  KV kv(client);
  ASSERT_TRUE(kv.put("ka/k", "v", PutOptions{.lease = granted->id}));
  std::atomic<int> renewals{0};
  std::atomic<bool> lost{false};
  auto keep = std::make_unique<KeepAlive>(
      client, granted->id, seconds(granted->ttl), sent + seconds(granted->ttl),
      KeepAliveOptions{.on_renewed = [&](const LeaseKeepAliveResponse&) { ++renewals; },
                       .on_lost = [&](const Error&) { lost = true; }});
  std::this_thread::sleep_for(seconds(7));
  EXPECT_FALSE(lost);
  EXPECT_FALSE(keep->lost());
  EXPECT_GE(renewals.load(), 4);
  EXPECT_GT(keep->alive_until(), Clock::now() + seconds(1));
  auto still = kv.get("ka/k");
  ASSERT_TRUE(still);
  EXPECT_EQ(still->kvs.size(), 1u);
  keep->stop();
  EXPECT_TRUE(eventually(
      [&] {
        auto r = kv.get("ka/k");
        return r && r->kvs.empty();
      },
      milliseconds(10000)))
      << "without keep-alives the lease expires";
  EXPECT_FALSE(lost) << "stop() is not a loss";
}

// Another client revokes the session's lease: the session notices at its next renewal, calls
// on_lost once, and cancels its done context.
TEST_F(LeaseTest, SessionReportsLossWhenItsLeaseIsRevoked) {
  auto client = connect();
  std::promise<Error> lost;
  std::atomic<int> calls{0};
  auto session =
      Session::create(client, SessionOptions{.ttl = seconds(3), .on_lost = [&](const Error& e) {
                                               if (calls++ == 0) lost.set_value(e);
                                             }});
  REGENT_SKIP_IF_UNSERVED(session, "Lease");
  ASSERT_TRUE(session) << session.error().describe();
  auto revoked = Lease(connect()).revoke((*session)->lease());
  ASSERT_TRUE(revoked) << revoked.error().describe();
  auto future = lost.get_future();
  ASSERT_EQ(future.wait_for(seconds(5)), std::future_status::ready);
  const Error e = future.get();
  EXPECT_TRUE(e.is_lease_not_found()) << e.describe();
  EXPECT_TRUE((*session)->lost());
  EXPECT_TRUE((*session)->done_context().cancelled());
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(calls.load(), 1);
}

// The client is cut off from every member (its connections black-holed, the cluster healthy):
// the session must report its loss once no renewal has proven the lease alive for its TTL, not
// before, and not much later.
TEST_F(LeaseTest, SessionReportsLossWhenKeepAlivesCannotReachTheCluster) {
  std::vector<std::unique_ptr<TcpProxy>> proxies;
  std::vector<std::string> endpoints;
  for (int i = 0; i < 3; ++i) {
    proxies.push_back(std::make_unique<TcpProxy>(cluster_->client_port(i)));
    endpoints.push_back("http://127.0.0.1:" + std::to_string(proxies.back()->port()));
  }
  auto client = connect(endpoints);
  std::promise<Clock::time_point> lost_at;
  auto session = Session::create(
      client, SessionOptions{.ttl = seconds(3),
                             .on_lost = [&](const Error&) { lost_at.set_value(Clock::now()); }});
  REGENT_SKIP_IF_UNSERVED(session, "Lease");
  ASSERT_TRUE(session) << session.error().describe();
  std::this_thread::sleep_for(milliseconds(1500));  // Some renewals go through first.
  for (auto& p : proxies) p->set_blocked(true);
  const auto cut = Clock::now();
  const auto proven = (*session)->alive_until();
  auto future = lost_at.get_future();
  ASSERT_EQ(future.wait_for(seconds(8)), std::future_status::ready);
  const auto at = future.get();
  EXPECT_GE(at, proven) << "reported lost while the lease was still proven alive";
  EXPECT_LE(at, proven + milliseconds(500));
  EXPECT_LE(at - cut, seconds(4));
  ASSERT_TRUE((*session)->lost_error().has_value());
  EXPECT_EQ((*session)->lost_error()->code, Code::kDeadlineExceeded);
  (*session)->orphan();
}

}  // namespace
}  // namespace regent::client::testing
