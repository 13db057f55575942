// KV through the client against a real cluster: etcd's semantics and messages, and failover.
#include "client/kv.h"

#include <gtest/gtest.h>

#include "client/maintenance.h"
#include "unit/client/cluster_fixture.h"

namespace regent::client::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class KvTest : public ClusterTest {};

TEST_F(KvTest, PutGetDeleteWithEtcdSemantics) {
  KV kv(connect());
  auto put = kv.put("kv/a", "1");
  ASSERT_TRUE(put) << put.error().describe();
  const int64_t rev = put->header.revision;
  ASSERT_TRUE(kv.put("kv/b", "2"));
  auto again = kv.put("kv/a", "3", PutOptions{.prev_kv = true});
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->prev_kv.has_value());
  EXPECT_EQ(again->prev_kv->value, "1");

  auto one = kv.get("kv/a");
  ASSERT_TRUE(one);
  ASSERT_EQ(one->kvs.size(), 1u);
  EXPECT_EQ(one->kvs[0].value, "3");
  EXPECT_EQ(one->kvs[0].create_revision, rev);
  EXPECT_EQ(one->kvs[0].version, 2);

  auto all = kv.get("kv/", GetOptions{.prefix = true});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->kvs.size(), 2u);
  EXPECT_EQ(all->kvs[1].key, "kv/b");
  auto limited = kv.get("kv/", GetOptions{.prefix = true, .limit = 1});
  ASSERT_TRUE(limited);
  EXPECT_TRUE(limited->more);
  EXPECT_EQ(limited->count, 2);
  auto counted = kv.get("kv/", GetOptions{.prefix = true, .count_only = true});
  ASSERT_TRUE(counted);
  EXPECT_TRUE(counted->kvs.empty());
  EXPECT_EQ(counted->count, 2);
  auto old = kv.get("kv/a", GetOptions{.revision = rev});
  ASSERT_TRUE(old);
  EXPECT_EQ(old->kvs.at(0).value, "1");

  auto del = kv.del("kv/", DeleteOptions{.prefix = true, .prev_kv = true});
  ASSERT_TRUE(del);
  EXPECT_EQ(del->deleted, 2);
  EXPECT_EQ(del->prev_kvs.size(), 2u);
  auto none = kv.get("kv/", GetOptions{.prefix = true});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->kvs.empty());
}

TEST_F(KvTest, TxnBranchesOnItsComparisons) {
  KV kv(connect());
  ASSERT_TRUE(kv.put("txn/k", "v1"));
  Txn txn;
  txn.compare.push_back(Compare::value_of("txn/k", Compare::Relation::kEqual, "v1"));
  txn.success.push_back(Op::put_op("txn/k", "v2"));
  txn.success.push_back(Op::get_op("txn/k"));
  txn.failure.push_back(Op::delete_op("txn/k"));
  auto first = kv.txn(txn);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_TRUE(first->succeeded);
  ASSERT_EQ(first->responses.size(), 2u);
  EXPECT_EQ(first->responses[0].type, Op::Type::kPut);
  EXPECT_EQ(first->responses[1].get.kvs.at(0).value, "v2");
  auto second = kv.txn(txn);  // The value is v2 now: the failure branch deletes.
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->succeeded);
  EXPECT_EQ(second->responses.at(0).del.deleted, 1);
}

TEST_F(KvTest, ErrorsCarryEtcdsCodeAndMessage) {
  KV kv(connect());
  auto empty = kv.put("", "x");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Code::kInvalidArgument);
  EXPECT_EQ(empty.error().message, "etcdserver: key is not provided");
  EXPECT_FALSE(empty.error().outcome_unknown);

  ASSERT_TRUE(kv.put("c/k", "1"));
  auto put = kv.put("c/k", "2");
  ASSERT_TRUE(put);
  ASSERT_TRUE(kv.compact(put->header.revision));
  auto compacted = kv.get("c/k", GetOptions{.revision = put->header.revision - 1});
  ASSERT_FALSE(compacted);
  EXPECT_EQ(compacted.error().code, Code::kOutOfRange);
  EXPECT_TRUE(compacted.error().is_compacted()) << compacted.error().describe();
  auto future = kv.get("c/k", GetOptions{.revision = put->header.revision + 1000});
  ASSERT_FALSE(future);
  EXPECT_TRUE(future.error().is_future_revision()) << future.error().describe();
}

// The endpoint a client prefers is killed: reads and writes move on to the others. The killed
// member is a follower, so the write provably never reached it (connection refused) and is
// retried at once; and the cluster keeps its leader, so no call fails with "no leader".
TEST_F(KvTest, ReadsAndWritesFailOverWhenAMemberIsKilled) {
  auto leader = cluster_->wait_leader();
  ASSERT_TRUE(leader);
  const int victim = (*leader + 1) % 3;
  std::vector<std::string> endpoints = {cluster_->endpoint(victim)};
  for (int i = 0; i < 3; ++i) {
    if (i != victim) endpoints.push_back(cluster_->endpoint(i));
  }
  KV kv(connect(endpoints));
  ASSERT_TRUE(kv.put("fo/before", "1"));
  cluster_->kill(victim);
  // A write sent at the very moment of the crash may find the old connection still open and
  // go out on it: then its outcome is unknown, and it says so. Given a moment to see the
  // connection closed (as any later write has), the client knows nothing can be sent there.
  std::this_thread::sleep_for(milliseconds(200));
  auto put = kv.put("fo/after", "2");
  ASSERT_TRUE(put) << put.error().describe();
  auto get = kv.get("fo/", GetOptions{.prefix = true});
  ASSERT_TRUE(get) << get.error().describe();
  EXPECT_EQ(get->kvs.size(), 2u);
  // Many calls in a row keep working (the dead endpoint is skipped, not retried each time).
  for (int i = 0; i < 20; ++i) {
    auto r = kv.put("fo/loop", std::to_string(i));
    ASSERT_TRUE(r) << i << ": " << r.error().describe();
  }
}

// After the leader is killed, reads are retried across members until one answers; a write
// either succeeds or reports its error (and whether its outcome is unknown), never hangs past
// its deadline.
TEST_F(KvTest, LeaderKilledReadsRecoverWritesReportErrors) {
  auto leader = cluster_->wait_leader();
  ASSERT_TRUE(leader);
  KV kv(connect({cluster_->endpoint(*leader), cluster_->endpoint((*leader + 1) % 3),
                 cluster_->endpoint((*leader + 2) % 3)}));
  ASSERT_TRUE(kv.put("lk/k", "1"));
  cluster_->kill(*leader);
  const auto start = std::chrono::steady_clock::now();
  auto get = kv.get("lk/k", {}, Context::with_timeout(seconds(10)));
  ASSERT_TRUE(get) << get.error().describe();
  EXPECT_EQ(get->kvs.at(0).value, "1");
  bool written = false;
  for (int i = 0; i < 50 && !written; ++i) {  // Bounded: a new leader is elected within seconds.
    auto put = kv.put("lk/k", "2", {}, Context::with_timeout(seconds(2)));
    if (put) {
      written = true;
    } else {
      EXPECT_NE(put.error().code, Code::kOk);
      EXPECT_FALSE(put.error().message.empty());
      std::this_thread::sleep_for(milliseconds(100));
    }
  }
  EXPECT_TRUE(written);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(30));
}

// A member that is connected but frozen (SIGSTOP) takes a write and never answers: the
// client cannot know whether it was applied, returns at its deadline and says so. A read is
// retried on the next member once its attempt times out.
TEST_F(KvTest, FrozenMemberWriteIsUnknownReadMovesOn) {
  auto leader = cluster_->wait_leader();
  ASSERT_TRUE(leader);
  const int frozen = (*leader + 1) % 3;
  auto client = Client::connect(
      ClientOptions{.endpoints = {cluster_->endpoint(frozen), cluster_->endpoint(*leader)},
                    .request_timeout = milliseconds(3000),
                    .attempt_timeout = milliseconds(500)});
  ASSERT_TRUE(client);
  KV kv(*client);
  ASSERT_TRUE(kv.put("fz/k", "1"));  // Connected to the member about to freeze.
  cluster_->pause(frozen);
  const auto start = std::chrono::steady_clock::now();
  auto put = kv.put("fz/k", "2", {}, Context::with_timeout(milliseconds(1000)));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, Code::kDeadlineExceeded) << put.error().describe();
  EXPECT_TRUE(put.error().outcome_unknown) << put.error().describe();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
  auto get = kv.get("fz/k", {}, Context::with_timeout(seconds(3)));
  ASSERT_TRUE(get) << get.error().describe();
  EXPECT_EQ(get->kvs.size(), 1u);
  cluster_->resume(frozen);
}

TEST_F(KvTest, NoReachableEndpointFailsPromptlyWithUnavailable) {
  // Ports of members that were never started: connection refused everywhere.
  ProcessCluster unstarted(2);
  KV kv(connect(unstarted.endpoints(), milliseconds(3000)));
  const auto start = std::chrono::steady_clock::now();
  auto put = kv.put("k", "v");
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, Code::kUnavailable) << put.error().describe();
  EXPECT_FALSE(put.error().outcome_unknown) << "a write that never left was not applied";
  auto get = kv.get("k");
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().code, Code::kUnavailable) << get.error().describe();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(8));
}

TEST_F(KvTest, MaintenanceStatusMembersAndHealth) {
  auto client = connect();
  Maintenance m(client);
  auto members = m.member_list();
  ASSERT_TRUE(members) << members.error().describe();
  ASSERT_EQ(members->members.size(), 3u);
  int leaders = 0;
  for (size_t i = 0; i < m.endpoint_count(); ++i) {
    auto st = m.status(i);
    ASSERT_TRUE(st) << st.error().describe();
    EXPECT_NE(st->header.member_id, 0u);
    EXPECT_FALSE(st->version.empty());
    if (st->leader == st->header.member_id) ++leaders;
    EXPECT_TRUE(m.health(i).healthy);
  }
  EXPECT_EQ(leaders, 1);
}

TEST_F(KvTest, MoveLeaderHandsLeadershipToTheTarget) {
  auto client = connect();
  Maintenance m(client);
  auto leader = cluster_->wait_leader();
  ASSERT_TRUE(leader);
  const int target = (*leader + 1) % 3;
  auto st = m.status(target);
  ASSERT_TRUE(st);
  auto moved = m.move_leader(st->header.member_id, Context::with_timeout(seconds(10)));
  ASSERT_TRUE(moved) << moved.error().describe();
  EXPECT_TRUE(eventually([&] { return cluster_->wait_leader(milliseconds(500)) == target; },
                         milliseconds(10000)));
}

}  // namespace
}  // namespace regent::client::testing
