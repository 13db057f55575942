// The member's auth helpers that are not replicated state: simple tokens with their idle TTL,
// the per-connection limit on Authenticate attempts, the bcrypt worker's bounded queue, and the
// registry that tells gRPC's calls which client connection they came on.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>

#include "server/auth/attempt_limiter.h"
#include "server/auth/password_worker.h"
#include "server/auth/simple_tokens.h"
#include "server/http/connection_registry.h"

namespace regent::server {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A steady clock and a wall clock that move together, by hand.
struct FakeClock {
  Clock::time_point now = Clock::time_point{} + 1000s;
  std::chrono::system_clock::time_point wall =
      std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);
  auto fn() {
    return [this] { return now; };
  }
  auto wall_fn() {
    return [this] { return wall; };
  }
  void advance(Clock::duration d) {
    now += d;
    wall += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  }
  int64_t wall_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
  }
};

TEST(SimpleTokensTest, ATokenNamesItsUserUntilUnusedForTheTtl) {
  FakeClock clock;
  SimpleTokens tokens(5s, clock.fn(), clock.wall_fn());
  const std::string t = tokens.generate();
  tokens.assign(t, "alice", clock.wall_ms());
  EXPECT_EQ(tokens.user_of(t), "alice");
  clock.advance(4s);
  EXPECT_EQ(tokens.user_of(t), "alice");  // Used: pushed a TTL away again.
  clock.advance(4s);
  EXPECT_EQ(tokens.user_of(t), "alice");
  clock.advance(5s);
  EXPECT_EQ(tokens.user_of(t), std::nullopt);  // Expired, and gone.
  EXPECT_EQ(tokens.user_of("never-issued.1"), std::nullopt);
}

TEST(SimpleTokensTest, ATokenLearnedLateGetsOnlyWhatIsLeftOfItsTtl) {
  FakeClock clock;
  SimpleTokens tokens(5s, clock.fn(), clock.wall_fn());
  const int64_t issued = clock.wall_ms();
  clock.advance(60s);  // A member replaying the log at a restart, a minute later.
  tokens.assign("old.1", "alice", issued);
  EXPECT_EQ(tokens.user_of("old.1"), std::nullopt);
  tokens.assign("recent.2", "alice", clock.wall_ms() - 3000);  // Issued 3 s ago: 2 s left.
  clock.advance(1s);
  EXPECT_EQ(tokens.user_of("recent.2"), "alice");
  clock.advance(6s);
  EXPECT_EQ(tokens.user_of("recent.2"), std::nullopt);
  // The issuer's clock ahead of this member's: never more than the TTL.
  tokens.assign("ahead.3", "alice", clock.wall_ms() + 60'000);
  clock.advance(6s);
  EXPECT_EQ(tokens.user_of("ahead.3"), std::nullopt);
}

TEST(SimpleTokensTest, TokensAreUniqueAndVoidedWithTheirUser) {
  SimpleTokens tokens(300s);
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string t = tokens.generate();
    EXPECT_GE(t.size(), 34u);
    EXPECT_TRUE(seen.insert(t.substr(0, 32)).second) << "letters repeat: " << t;
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  tokens.assign("a.1", "alice", now_ms);
  tokens.assign("b.2", "bob", now_ms);
  tokens.forget_user("alice");
  EXPECT_EQ(tokens.user_of("a.1"), std::nullopt);
  EXPECT_EQ(tokens.user_of("b.2"), "bob");
  tokens.forget_all();
  EXPECT_EQ(tokens.user_of("b.2"), std::nullopt);
}

TEST(SimpleTokensTest, ExpiredTokensDoNotAccumulate) {
  FakeClock clock;
  SimpleTokens tokens(2s, clock.fn(), clock.wall_fn());
  for (int i = 0; i < 100; ++i) {
    tokens.assign("t." + std::to_string(i), "u", clock.wall_ms());
    clock.advance(1s);
  }
  EXPECT_LE(tokens.size(), 12u);  // About the tokens of the last sweep interval and TTL.
}

TEST(AttemptLimiterTest, ABurstThenOneAttemptPerIntervalPerConnection) {
  FakeClock clock;
  AttemptLimiter limiter(3, 1s, clock.fn());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_attempt("c1"));
  EXPECT_FALSE(limiter.try_attempt("c1"));
  EXPECT_TRUE(limiter.try_attempt("c2"));  // Another connection has its own bucket.
  clock.now += 1s;
  EXPECT_TRUE(limiter.try_attempt("c1"));
  EXPECT_FALSE(limiter.try_attempt("c1"));
  clock.now += 10s;  // Full again, and forgotten at the next prune.
  EXPECT_TRUE(limiter.try_attempt("c3"));
  EXPECT_LE(limiter.tracked(), 1u);
}

TEST(PasswordWorkerTest, RunsJobsInOrderAndRefusesBeyondItsQueue) {
  PasswordWorker worker(2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  std::atomic<int> ran{0};
  ASSERT_TRUE(worker.submit([&] {
    started.set_value();
    gate.wait();
    ++ran;
  }));
  started.get_future().wait();  // The first job holds the thread; two may wait.
  EXPECT_TRUE(worker.submit([&] { ++ran; }));
  EXPECT_TRUE(worker.submit([&] { ++ran; }));
  EXPECT_FALSE(worker.submit([&] { ++ran; }));
  release.set_value();
  worker.stop();  // Runs what was queued before returning.
  EXPECT_EQ(ran.load(), 3);
}

TEST(ConnectionRegistryTest, AnswersOnlyForTheSocketItRecorded) {
  http::ConnectionRegistry registry;
  int first[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, first), 0);
  registry.add(first[1], {.remote = "10.0.0.1:5000", .cert_name = "alice"});
  const std::string peer = "fd:" + std::to_string(first[1]);
  auto found = registry.find(peer);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->remote, "10.0.0.1:5000");
  EXPECT_EQ(found->cert_name, "alice");
  EXPECT_FALSE(registry.find("inproc"));
  EXPECT_FALSE(registry.find("fd:x"));
  // The number closed and given to another socket: not alice's any more.
  const int number = first[1];
  ::close(first[1]);
  int second[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, second), 0);
  if (second[0] != number && second[1] != number) {
    ASSERT_EQ(::dup2(second[1], number), number);
  }
  EXPECT_FALSE(registry.find(peer));
  ::close(first[0]);
  ::close(second[0]);
  ::close(second[1]);
  if (second[1] != number && second[0] != number) ::close(number);
}

}  // namespace
}  // namespace regent::server
