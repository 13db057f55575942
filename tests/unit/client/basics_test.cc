// The client's pure parts: contexts, endpoint parsing, prefix ranges. No cluster needed.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "client/context.h"
#include "client/error.h"
#include "client/internal/connections.h"
#include "client/types.h"

namespace regent::client {
namespace {

using std::chrono::milliseconds;

TEST(ContextTest, CancelReachesCopiesHooksAndSleepers) {
  Context ctx;
  Context copy = ctx.with_timeout_from_now(std::chrono::seconds(30));
  std::atomic<int> hooked{0};
  auto hook = copy.on_cancel([&] { ++hooked; });
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(50));
    ctx.cancel();
  });
  const auto start = Context::Clock::now();
  EXPECT_TRUE(copy.sleep_until(start + std::chrono::seconds(10)));
  EXPECT_LT(Context::Clock::now() - start, std::chrono::seconds(5));
  canceller.join();
  EXPECT_TRUE(copy.cancelled());
  EXPECT_EQ(hooked.load(), 1);
  ctx.cancel();  // Idempotent: the hook does not run again.
  EXPECT_EQ(hooked.load(), 1);
  std::atomic<int> late{0};
  auto after = ctx.on_cancel([&] { ++late; });  // Already cancelled: runs at once.
  EXPECT_EQ(late.load(), 1);
}

TEST(ContextTest, DroppedHookNeverRunsAndDeadlinesOnlyShrink) {
  Context ctx;
  std::atomic<int> hooked{0};
  {
    auto hook = ctx.on_cancel([&] { ++hooked; });
  }
  ctx.cancel();
  EXPECT_EQ(hooked.load(), 0);

  Context timed = Context::with_timeout(milliseconds(20));
  EXPECT_FALSE(timed.cancelled());
  EXPECT_FALSE(timed.sleep_until(Context::Clock::now() + milliseconds(1)));
  EXPECT_TRUE(timed.sleep_until(Context::Clock::now() + std::chrono::seconds(5)));
  EXPECT_TRUE(timed.expired());
  EXPECT_FALSE(timed.cancelled()) << "a passed deadline is not a cancellation";
  const auto early = *timed.deadline();
  EXPECT_EQ(*timed.with_timeout_from_now(std::chrono::hours(1)).deadline(), early);
}

TEST(EndpointTest, TargetsAreHostAndPort) {
  EXPECT_EQ(*internal::grpc_target("http://127.0.0.1:2379"), "127.0.0.1:2379");
  EXPECT_EQ(*internal::grpc_target("127.0.0.1:2379"), "127.0.0.1:2379");
  EXPECT_EQ(*internal::grpc_target("http://localhost:2379/"), "localhost:2379");
  EXPECT_EQ(*internal::grpc_target("https://127.0.0.1:2379"), "127.0.0.1:2379");
  for (const char* bad : {"ftp://127.0.0.1:2379", "127.0.0.1", "http://", "unix:///x", ""}) {
    auto t = internal::grpc_target(bad);
    EXPECT_FALSE(t) << bad;
    if (!t) {
      EXPECT_EQ(t.error().code, Code::kInvalidArgument);
    }
  }
}

TEST(TypesTest, PrefixRangeEndIsEtcds) {
  EXPECT_EQ(prefix_range_end("a"), "b");
  EXPECT_EQ(prefix_range_end("a/"), "a0");
  EXPECT_EQ(prefix_range_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(prefix_range_end(""), std::string(1, '\0'));
  EXPECT_EQ(prefix_range_end(std::string("\xff\xff", 2)), std::string(1, '\0'));
}

TEST(ErrorTest, DescribesAndMatchesEtcdsMessages) {
  Error e{.code = Code::kOutOfRange,
          .message = "etcdserver: mvcc: required revision has been compacted",
          .endpoint = "http://127.0.0.1:1"};
  EXPECT_TRUE(e.is_compacted());
  EXPECT_FALSE(e.is_lease_not_found());
  EXPECT_EQ(e.describe(),
            "etcdserver: mvcc: required revision has been compacted (OutOfRange at "
            "http://127.0.0.1:1)");
  EXPECT_EQ(code_name(Code::kUnavailable), "Unavailable");
}

}  // namespace
}  // namespace regent::client
