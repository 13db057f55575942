// The fixture of the client tests: a fresh 3-member cluster of real processes per test, clients
// connected to it, and the bounded waits the tests use.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "client/error.h"
#include "unit/client/process_cluster.h"

namespace regent::client::testing {

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<ProcessCluster>(3);
    if (auto failed = cluster_->start()) FAIL() << *failed;
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << cluster_->all_log_tails();
    cluster_.reset();  // Kills every member by pid.
  }

  // A client of the given endpoints (default: every member, in order).
  std::shared_ptr<Client> connect(
      std::vector<std::string> endpoints = {},
      std::chrono::milliseconds request_timeout = std::chrono::milliseconds(5000)) {
    if (endpoints.empty()) endpoints = cluster_->endpoints();
    auto c = Client::connect(
        ClientOptions{.endpoints = std::move(endpoints), .request_timeout = request_timeout});
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().describe());
    return c ? *c : nullptr;
  }

  // True when a probe call says the server does not serve an API yet (regentd grows its
  // services one by one); the test then skips instead of failing on a missing service.
  static bool unimplemented(const Error& e) { return e.code == Code::kUnimplemented; }

  std::unique_ptr<ProcessCluster> cluster_;
};

// Polls pred every 20 ms until it holds or timeout passes; returns whether it held.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace regent::client::testing

// Skips the test when `probe` (a Result) failed with Unimplemented: the server does not serve
// that API yet.
#define REGENT_SKIP_IF_UNSERVED(probe, api)                                             \
  do {                                                                                  \
    const auto& regent_probe_ = (probe);                                                \
    if (!regent_probe_ &&                                                               \
        ::regent::client::testing::ClusterTest::unimplemented(regent_probe_.error())) { \
      GTEST_SKIP() << "the server does not serve " api " yet: "                         \
                   << regent_probe_.error().describe();                                 \
    }                                                                                   \
  } while (0)
