// LeaderElector against a real cluster: fail-over between three electors with fencing tokens
// that only grow, prompt stepping down, and a partitioned leader that stops before anyone else
// can start.
#include "client/leader_elector.h"

#include <gtest/gtest.h>

#include <map>

#include "client/lease.h"
#include "unit/client/cluster_fixture.h"
#include "unit/client/tcp_proxy.h"

namespace regent::client::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// What the electors' callbacks reported, in order.
struct Timeline {
  struct Entry {
    int elector;
    bool started;  // false: stopped
    int64_t token;
    Clock::time_point at;
  };
  std::mutex mu;
  std::vector<Entry> entries;
  std::map<int, std::vector<int64_t>> observed;  // on_new_leader tokens, per elector

  void add(int elector, bool started, int64_t token) {
    std::lock_guard lock(mu);
    entries.push_back(Entry{elector, started, token, Clock::now()});
  }
  std::vector<Entry> snapshot() {
    std::lock_guard lock(mu);
    return entries;
  }
  // The elector whose last report is "started", if exactly one.
  std::optional<int> leader() {
    std::lock_guard lock(mu);
    std::map<int, bool> leading;
    for (const auto& e : entries) leading[e.elector] = e.started;
    std::optional<int> who;
    for (auto [elector, on] : leading) {
      if (!on) continue;
      if (who) return std::nullopt;
      who = elector;
    }
    return who;
  }
  size_t starts() {
    std::lock_guard lock(mu);
    return std::count_if(entries.begin(), entries.end(), [](const Entry& e) { return e.started; });
  }
};

class LeaderElectorTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    if (HasFatalFailure()) return;
    auto probe = Session::create(connect(), SessionOptions{.ttl = seconds(5)});
    if (!probe && unimplemented(probe.error())) GTEST_SKIP() << "the server has no Lease yet";
    ASSERT_TRUE(probe) << probe.error().describe();
    auto leader = election_leader(*(*probe)->client(), "elector/probe");
    if (!leader && unimplemented(leader.error())) {
      GTEST_SKIP() << "the server has no Election yet";
    }
  }

  std::unique_ptr<LeaderElector> elector(int id, std::shared_ptr<Client> client,
                                         Timeline& timeline) {
    return std::make_unique<LeaderElector>(
        std::move(client),
        LeaderElectorOptions{.name = "elector/svc",
                             .identity = "elector-" + std::to_string(id),
                             .lease_duration = seconds(3),
                             .retry_period = milliseconds(200),
                             .on_started_leading =
                                 [&timeline, id](const LeadershipTerm& t) {
                                   timeline.add(id, true, t.fencing_token);
                                 },
                             .on_stopped_leading =
                                 [&timeline, id](const LeadershipTerm& t, const Error&) {
                                   timeline.add(id, false, t.fencing_token);
                                 },
                             .on_new_leader =
                                 [&timeline, id](const std::string&, int64_t token) {
                                   std::lock_guard lock(timeline.mu);
                                   timeline.observed[id].push_back(token);
                                 }});
  }
};

void expect_tokens_grow_and_callbacks_alternate(Timeline& timeline) {
  auto entries = timeline.snapshot();
  int64_t last_started = 0;
  std::map<int, std::optional<int64_t>> open;  // elector -> token of its open term
  for (const auto& e : entries) {
    if (e.started) {
      EXPECT_GT(e.token, last_started) << "every new term has a larger fencing token";
      last_started = e.token;
      EXPECT_FALSE(open[e.elector].has_value()) << "started twice without stopping";
      open[e.elector] = e.token;
    } else {
      ASSERT_TRUE(open[e.elector].has_value()) << "stopped without starting";
      EXPECT_EQ(*open[e.elector], e.token) << "stopped names the term it ends";
      open[e.elector].reset();
    }
  }
  std::lock_guard lock(timeline.mu);
  for (const auto& [elector, tokens] : timeline.observed) {
    EXPECT_FALSE(tokens.empty());
    for (size_t i = 1; i < tokens.size(); ++i) {
      EXPECT_GT(tokens[i], tokens[i - 1]) << "elector " << elector << " saw a leader go back";
    }
  }
}

TEST_F(LeaderElectorTest, ThreeElectorsFailOverWithGrowingFencingTokens) {
  Timeline timeline;
  std::vector<std::unique_ptr<LeaderElector>> electors;
  for (int i = 0; i < 3; ++i) electors.push_back(elector(i, connect(), timeline));
  for (auto& e : electors) e->start();
  ASSERT_TRUE(eventually([&] { return timeline.leader().has_value(); }, milliseconds(10000)));
  const int first = *timeline.leader();
  EXPECT_TRUE(electors[first]->is_leader());
  const int64_t first_token = electors[first]->term()->fencing_token;

  // Round 1: the leader's lease is revoked behind its back (as if it had expired).
  ASSERT_TRUE(Lease(connect()).revoke(electors[first]->lease()));
  ASSERT_TRUE(eventually(
      [&] {
        auto who = timeline.leader();
        return who && *who != first;
      },
      milliseconds(10000)));
  const int second = *timeline.leader();
  EXPECT_FALSE(electors[first]->is_leader());
  EXPECT_GT(electors[second]->term()->fencing_token, first_token);

  // Round 2: the leader shuts down; it resigns, so another leads at once, not after a TTL.
  const auto stop_at = Clock::now();
  electors[second]->stop();
  ASSERT_TRUE(eventually(
      [&] {
        auto who = timeline.leader();
        return who && *who != second;
      },
      milliseconds(10000)));
  EXPECT_LT(Clock::now() - stop_at, seconds(2)) << "a resigned leader is replaced at once";
  EXPECT_GE(timeline.starts(), 3u);

  for (auto& e : electors) e->stop();
  expect_tokens_grow_and_callbacks_alternate(timeline);
  auto entries = timeline.snapshot();
  ASSERT_FALSE(entries.empty());
  EXPECT_FALSE(entries.back().started) << "stop() ends the last term";
}

// The leader is cut off from the cluster (its connections black-holed). It must step down on its
// own clock before its lease can expire on the server, hence before the other candidate can win.
TEST_F(LeaderElectorTest, PartitionedLeaderStepsDownBeforeAnotherCanLead) {
  std::vector<std::unique_ptr<TcpProxy>> proxies;
  std::vector<std::string> endpoints;
  for (int i = 0; i < 3; ++i) {
    proxies.push_back(std::make_unique<TcpProxy>(cluster_->client_port(i)));
    endpoints.push_back("http://127.0.0.1:" + std::to_string(proxies.back()->port()));
  }
  Timeline timeline;
  auto a = elector(0, connect(endpoints), timeline);
  auto b = elector(1, connect(), timeline);
  a->start();
  ASSERT_TRUE(eventually([&] { return timeline.leader() == 0; }, milliseconds(10000)));
  b->start();
  std::this_thread::sleep_for(milliseconds(1500));  // b is campaigning; a renews a few times.
  ASSERT_EQ(timeline.leader(), 0);
  for (auto& p : proxies) p->set_blocked(true);
  const auto cut = Clock::now();
  ASSERT_TRUE(eventually([&] { return timeline.leader() == 1; }, milliseconds(15000)));
  auto entries = timeline.snapshot();
  std::optional<Clock::time_point> a_stopped, b_started;
  for (const auto& e : entries) {
    if (e.elector == 0 && !e.started && !a_stopped) a_stopped = e.at;
    if (e.elector == 1 && e.started && !b_started) b_started = e.at;
  }
  ASSERT_TRUE(a_stopped && b_started);
  EXPECT_LT(*a_stopped, *b_started) << "the partitioned leader must stop before another starts";
  EXPECT_LE(*a_stopped - cut, seconds(3)) << "within the lease duration of the cut";
  for (auto& p : proxies) p->set_blocked(false);
  b->stop();
  a->stop();
  expect_tokens_grow_and_callbacks_alternate(timeline);
}

}  // namespace
}  // namespace regent::client::testing
