// The distributed mutex against a real cluster: mutual exclusion between clients, fencing
// tokens, cancellation.
#include "client/mutex.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <future>

#include "client/kv.h"
#include "unit/client/cluster_fixture.h"

namespace regent::client::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class MutexTest : public ClusterTest {};

// Three threads, each with its own client and session, take the lock in turns: never two inside
// at once, and each holder's fencing token is larger than the one before.
TEST_F(MutexTest, MutualExclusionBetweenClients) {
  {
    auto probe = Session::create(connect(), SessionOptions{.ttl = seconds(10)});
    REGENT_SKIP_IF_UNSERVED(probe, "Lease");
    ASSERT_TRUE(probe) << probe.error().describe();
    Mutex m(*probe, "mutex/probe");
    auto locked = m.lock(Context::with_timeout(seconds(10)));
    REGENT_SKIP_IF_UNSERVED(locked, "Lock");
    ASSERT_TRUE(locked) << locked.error().describe();
    ASSERT_TRUE(m.unlock());
  }
  constexpr int kThreads = 3;
  constexpr int kRounds = 4;
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::mutex mu;
  std::vector<int64_t> tokens;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto session = Session::create(connect(), SessionOptions{.ttl = seconds(10)});
      if (!session) {
        std::lock_guard lock(mu);
        failures.push_back(session.error().describe());
        return;
      }
      Mutex m(*session, "mutex/shared");
      for (int round = 0; round < kRounds; ++round) {
        auto locked = m.lock(Context::with_timeout(seconds(30)));
        if (!locked) {
          std::lock_guard lock(mu);
          failures.push_back(fmt::format("thread {}: {}", t, locked.error().describe()));
          return;
        }
        if (inside.fetch_add(1) != 0) ++overlaps;
        {
          std::lock_guard lock(mu);
          tokens.push_back(m.revision());
        }
        std::this_thread::sleep_for(milliseconds(30));
        inside.fetch_sub(1);
        auto unlocked = m.unlock(Context::with_timeout(seconds(10)));
        if (!unlocked) {
          std::lock_guard lock(mu);
          failures.push_back(unlocked.error().describe());
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  EXPECT_EQ(overlaps.load(), 0);
  ASSERT_EQ(tokens.size(), static_cast<size_t>(kThreads * kRounds));
  for (size_t i = 1; i < tokens.size(); ++i) {
    EXPECT_GT(tokens[i], tokens[i - 1]) << "fencing tokens must grow from holder to holder";
  }
}

TEST_F(MutexTest, LockWaitIsCancellable) {
  auto s1 = Session::create(connect(), SessionOptions{.ttl = seconds(10)});
  REGENT_SKIP_IF_UNSERVED(s1, "Lease");
  ASSERT_TRUE(s1);
  auto s2 = Session::create(connect(), SessionOptions{.ttl = seconds(10)});
  ASSERT_TRUE(s2);
  Mutex holder(*s1, "mutex/cancel");
  auto locked = holder.lock(Context::with_timeout(seconds(10)));
  REGENT_SKIP_IF_UNSERVED(locked, "Lock");
  ASSERT_TRUE(locked) << locked.error().describe();
  EXPECT_TRUE(holder.held());
  EXPECT_GT(holder.revision(), 0);
  Mutex waiter(*s2, "mutex/cancel");
  Context ctx;
  auto waiting = std::async(std::launch::async, [&] { return waiter.lock(ctx); });
  ASSERT_EQ(waiting.wait_for(milliseconds(500)), std::future_status::timeout);
  ctx.cancel();
  ASSERT_EQ(waiting.wait_for(seconds(3)), std::future_status::ready);
  auto r = waiting.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kCancelled);
  EXPECT_FALSE(waiter.held());
  ASSERT_TRUE(holder.unlock());
  // With the holder gone and the cancelled waiter withdrawn, a new lock is immediate.
  auto again = waiter.lock(Context::with_timeout(seconds(5)));
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_GT(waiter.revision(), 0);
}

}  // namespace
}  // namespace regent::client::testing
