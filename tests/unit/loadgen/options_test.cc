#include "loadgen/options.h"

#include <gtest/gtest.h>

namespace regent::loadgen {
namespace {

TEST(OptionsTest, DefaultsAreValid) { EXPECT_EQ(validate(Options{}), std::nullopt); }

TEST(OptionsTest, EachBadFlagIsNamed) {
  struct Case {
    const char* flag;
    std::function<void(Options&)> spoil;
  };
  const std::vector<Case> cases = {
      {"--endpoints", [](Options& o) { o.endpoints = {"localhost"}; }},
      {"--endpoints", [](Options& o) { o.endpoints = {"https://a:1"}; }},
      {"--endpoints", [](Options& o) { o.endpoints.clear(); }},
      {"--clients", [](Options& o) { o.clients = 0; }},
      {"--conns", [](Options& o) { o.conns = 2; }},
      {"--threads", [](Options& o) { o.threads = 0; }},
      {"--total", [](Options& o) { o.total = 0; }},
      {"--duration", [](Options& o) { o.duration_s = 0; }},
      {"--timeout", [](Options& o) { o.timeout_s = -1; }},
      {"--key-size", [](Options& o) { o.key_space_size = 100'000'000; }},
      {"--val-size", [](Options& o) { o.val_size = -1; }},
      {"--txn-ops",
       [](Options& o) {
         o.workload = Workload::kTxnPut;
         o.txn_ops = 2;
       }},
      {"--put-rate", [](Options& o) { o.put_rate = -1; }},
      {"--lease-ttl", [](Options& o) { o.lease_ttl_s = 0; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.flag);
    Options o;
    c.spoil(o);
    const auto problem = validate(o);
    ASSERT_TRUE(problem.has_value());
    EXPECT_NE(problem->find(c.flag), std::string::npos) << *problem;
  }
}

TEST(OptionsTest, EndpointsMayCarryHttpAndATrailingSlash) {
  EXPECT_EQ(grpc_target("http://127.0.0.1:2379/"), "127.0.0.1:2379");
  EXPECT_EQ(grpc_target("node1:2379"), "node1:2379");
  EXPECT_EQ(grpc_target("node1:port"), std::nullopt);
  EXPECT_EQ(grpc_target(":2379"), std::nullopt);
}

TEST(OptionsTest, WorkloadNamesRoundTrip) {
  for (Workload w : {Workload::kPut, Workload::kRange, Workload::kTxnPut, Workload::kWatchLatency,
                     Workload::kLeaseKeepAlive}) {
    EXPECT_EQ(parse_workload(workload_name(w)), w);
  }
  EXPECT_EQ(parse_workload("get"), std::nullopt);
}

}  // namespace
}  // namespace regent::loadgen
