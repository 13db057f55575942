// Every workload, briefly, through the library against a real single-member regentd (or the
// binary named by $REGENT_TEST_SERVER, e.g. etcd's), and against a closed port.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include "client/client.h"
#include "client/lease.h"
#include "loadgen/loadgen.h"
#include "unit/client/process_cluster.h"

namespace regent::loadgen {
namespace {

using regent::client::testing::ProcessCluster;
using SteadyClock = std::chrono::steady_clock;

class BenchEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<ProcessCluster>(1);
    if (auto failed = cluster_->start()) FAIL() << *failed;
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << cluster_->all_log_tails();
    cluster_.reset();  // Kills the member by pid.
  }

  Options options(Workload w) const {
    Options o;
    o.workload = w;
    o.endpoints = cluster_->endpoints();
    o.clients = 4;
    o.conns = 2;
    o.total = 200;
    o.key_space_size = 50;
    o.timeout_s = 5;
    return o;
  }

  static Report run_ok(const Options& o) {
    auto r = run(o);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error());
    if (!r) return {};
    EXPECT_GT(r->ok, 0u) << format_human(*r);
    EXPECT_EQ(r->errors, 0u) << format_human(*r);
    EXPECT_TRUE(r->errors_by_status.empty()) << format_human(*r);
    EXPECT_GT(r->seconds, 0) << format_human(*r);
    EXPECT_GT(r->latency.p50_ms, 0) << format_human(*r);
    EXPECT_LE(r->latency.p50_ms, r->latency.max_ms) << format_human(*r);
    return *r;
  }

  std::unique_ptr<ProcessCluster> cluster_;
};

TEST_F(BenchEndToEndTest, PutMakesEveryRequest) {
  const Report r = run_ok(options(Workload::kPut));
  EXPECT_EQ(r.ok, 200u);
  EXPECT_EQ(r.total, 200u);
}

TEST_F(BenchEndToEndTest, PutOverSeveralPollerThreadsForADuration) {
  Options o = options(Workload::kPut);
  o.threads = 2;
  o.duration_s = 1.0;
  o.max_gap = true;
  o.sequential_keys = true;
  const Report r = run_ok(o);
  EXPECT_DOUBLE_EQ(r.seconds, 1.0);
  ASSERT_TRUE(r.max_gap.has_value());
  EXPECT_GT(r.max_gap->length_ms, 0);
  EXPECT_LT(r.max_gap->length_ms, 1000);
}

TEST_F(BenchEndToEndTest, RangeReadsPreloadedKeysBothWays) {
  Options o = options(Workload::kRange);
  EXPECT_EQ(run_ok(o).ok, 200u);
  o.serializable = true;
  EXPECT_EQ(run_ok(o).ok, 200u);
}

TEST_F(BenchEndToEndTest, TxnPutPutsSeveralKeysPerTxn) {
  Options o = options(Workload::kTxnPut);
  o.txn_ops = 3;
  o.key_space_size = 3;  // Every txn puts all three keys: distinct keys, wrapping.
  EXPECT_EQ(run_ok(o).ok, 200u);
}

TEST_F(BenchEndToEndTest, WatchLatencyEveryWatcherSeesEveryPut) {
  Options o = options(Workload::kWatchLatency);
  o.clients = 3;
  o.conns = 2;
  o.total = 50;
  o.put_rate = 0;  // Closed loop.
  const Report r = run_ok(o);
  ASSERT_TRUE(r.missed_events.has_value());
  EXPECT_EQ(*r.missed_events, 0u);
  EXPECT_EQ(r.puts_ok, 50u);
  EXPECT_EQ(r.ok, 150u);  // One event per put per watcher.
}

TEST_F(BenchEndToEndTest, WatchLatencyPacedForADuration) {
  Options o = options(Workload::kWatchLatency);
  o.clients = 2;
  o.duration_s = 1.0;
  o.put_rate = 50;
  const Report r = run_ok(o);
  EXPECT_EQ(r.missed_events, 0u);
  ASSERT_TRUE(r.puts_ok.has_value());
  // 50 puts a second for a second, give or take one at each end.
  EXPECT_GE(*r.puts_ok, 45u);
  EXPECT_LE(*r.puts_ok, 51u);
}

TEST_F(BenchEndToEndTest, LeaseKeepAliveRenewsAndRevokes) {
  Options o = options(Workload::kLeaseKeepAlive);
  EXPECT_EQ(run_ok(o).ok, 200u);
  o.duration_s = 1.0;
  run_ok(o);
  // Both runs revoked their leases at the end.
  auto client = client::Client::connect(client::ClientOptions{.endpoints = cluster_->endpoints()});
  ASSERT_TRUE(client.has_value()) << client.error().describe();
  auto leases = client::Lease(*client).leases();
  ASSERT_TRUE(leases.has_value()) << leases.error().describe();
  EXPECT_TRUE(leases->leases.empty()) << leases->leases.size() << " leases left";
}

// A port nothing listens on: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

Options closed_port_options(Workload w) {
  Options o;
  o.workload = w;
  o.endpoints = {fmt::format("127.0.0.1:{}", closed_port())};
  o.clients = 4;
  o.conns = 2;
  o.timeout_s = 1;
  return o;
}

// Runs o and checks that it failed every request, counted them, and ended in `within`.
Report expect_all_failed(const Options& o, std::chrono::milliseconds within) {
  const auto start = SteadyClock::now();
  auto r = run(o);
  const auto took = SteadyClock::now() - start;
  EXPECT_TRUE(r.has_value());
  if (!r) return {};
  EXPECT_EQ(r->ok, 0u) << format_human(*r);
  EXPECT_GT(r->errors, 0u) << format_human(*r);
  uint64_t tallied = 0;
  for (const auto& [what, n] : r->errors_by_status) {
    EXPECT_TRUE(what.starts_with("UNAVAILABLE") || what.starts_with("put: UNAVAILABLE")) << what;
    tallied += n;
  }
  EXPECT_EQ(tallied, r->errors);
  EXPECT_LT(took, within) << format_human(*r);
  return *r;
}

TEST(BenchClosedPortTest, ErrorsAreCountedAndTheRunEndsOnTime) {
  Options o = closed_port_options(Workload::kPut);
  o.duration_s = 1.0;
  const Report r = expect_all_failed(o, std::chrono::milliseconds(2500));
  // Clients pause 1 ms after an error: a thousand a second each at most, not a spin.
  EXPECT_LT(r.errors, 4u * 1100);
  EXPECT_DOUBLE_EQ(r.seconds, 1.0);
}

TEST(BenchClosedPortTest, TotalModeEndsWhenEveryRequestFailed) {
  Options o = closed_port_options(Workload::kPut);
  o.total = 300;
  EXPECT_EQ(expect_all_failed(o, std::chrono::milliseconds(5000)).errors, 300u);
}

TEST(BenchClosedPortTest, LeaseKeepAliveEndsWhenGrantsFail) {
  Options o = closed_port_options(Workload::kLeaseKeepAlive);
  o.total = 100;
  expect_all_failed(o, std::chrono::milliseconds(5000));
}

TEST(BenchClosedPortTest, WatchLatencyEndsWithinItsDuration) {
  Options o = closed_port_options(Workload::kWatchLatency);
  o.duration_s = 1.0;
  // Watch creation waits one timeout (1 s), the run one duration, the catch-up one timeout.
  const Report r = expect_all_failed(o, std::chrono::milliseconds(5000));
  EXPECT_EQ(r.puts_ok, 0u);
}

}  // namespace
}  // namespace regent::loadgen
