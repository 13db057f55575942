// Watches against a real cluster: order, resumption on another member, compaction.
#include "client/watch.h"

#include <gtest/gtest.h>

#include "client/kv.h"
#include "unit/client/cluster_fixture.h"

namespace regent::client::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class WatchTest : public ClusterTest {
 protected:
  // Starts a pull-mode watch and waits until a server confirmed it; skips the test if the
  // server does not serve Watch (its stream then fails with Unimplemented).
  std::unique_ptr<Watcher> watch(std::shared_ptr<Client> client, const std::string& key,
                                 WatchOptions options, Result<void>* created) {
    auto w = Watcher::start(std::move(client), key, std::move(options));
    *created = w->wait_created(Context::with_timeout(seconds(10)));
    return w;
  }

  // Collects `n` events within `timeout` (bounded by both).
  std::vector<Event> collect(Watcher& w, size_t n, milliseconds timeout) {
    std::vector<Event> events;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (events.size() < n) {
      auto r = w.next(Context().with_deadline(deadline));
      if (!r) break;
      for (auto& e : r->events) events.push_back(std::move(e));
    }
    return events;
  }
};

TEST_F(WatchTest, DeliversPutsAndDeletesInOrderWithPrevKv) {
  auto client = connect();
  Result<void> created;
  auto w = watch(client, "w/", WatchOptions{.prefix = true, .prev_kv = true}, &created);
  REGENT_SKIP_IF_UNSERVED(created, "Watch");
  ASSERT_TRUE(created) << created.error().describe();
  KV kv(client);
  ASSERT_TRUE(kv.put("w/a", "1"));
  ASSERT_TRUE(kv.put("w/a", "2"));
  ASSERT_TRUE(kv.del("w/a"));
  ASSERT_TRUE(kv.put("other", "x"));  // Outside the prefix: not seen.
  auto events = collect(*w, 3, milliseconds(5000));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, Event::Type::kPut);
  EXPECT_EQ(events[0].kv.value, "1");
  EXPECT_FALSE(events[0].prev_kv.has_value());
  EXPECT_EQ(events[1].kv.value, "2");
  ASSERT_TRUE(events[1].prev_kv.has_value());
  EXPECT_EQ(events[1].prev_kv->value, "1");
  EXPECT_EQ(events[2].type, Event::Type::kDelete);
  EXPECT_EQ(events[2].kv.key, "w/a");
  EXPECT_LT(events[0].kv.mod_revision, events[1].kv.mod_revision);
  EXPECT_LT(events[1].kv.mod_revision, events[2].kv.mod_revision);
}

TEST_F(WatchTest, StartRevisionReplaysHistoryThroughPushCallbacks) {
  auto client = connect();
  KV kv(client);
  auto first = kv.put("h/k", "1");
  ASSERT_TRUE(first);
  ASSERT_TRUE(kv.put("h/k", "2"));
  std::mutex mu;
  std::vector<std::string> values;
  std::optional<Error> ended;
  auto w = Watcher::start(
      client, "h/k", WatchOptions{.start_revision = first->header.revision},
      [&](const WatchResponse& r) {
        std::lock_guard lock(mu);
        for (const auto& e : r.events) values.push_back(e.kv.value);
      },
      [&](const Error& e) {
        std::lock_guard lock(mu);
        ended = e;
      });
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mu);
        return values.size() >= 2 || ended.has_value();
      },
      milliseconds(10000)));
  std::lock_guard lock(mu);
  if (ended && unimplemented(*ended)) GTEST_SKIP() << "the server does not serve Watch yet";
  EXPECT_EQ(values, (std::vector<std::string>{"1", "2"}));
}

// The member serving the watch dies: the watch goes on from another member, without losing or
// repeating an event.
TEST_F(WatchTest, ResumesOnAnotherMemberAfterTheServingMemberDies) {
  auto leader = cluster_->wait_leader();
  ASSERT_TRUE(leader);
  const int serving = (*leader + 1) % 3;  // A follower, so writes keep flowing after its death.
  std::vector<std::string> endpoints = {cluster_->endpoint(serving)};
  for (int i = 0; i < 3; ++i) {
    if (i != serving) endpoints.push_back(cluster_->endpoint(i));
  }
  auto watch_client = connect(endpoints);
  Result<void> created;
  auto w = watch(watch_client, "r/", WatchOptions{.prefix = true}, &created);
  REGENT_SKIP_IF_UNSERVED(created, "Watch");
  ASSERT_TRUE(created) << created.error().describe();
  KV kv(connect({cluster_->endpoint(*leader)}));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(kv.put("r/" + std::to_string(i), "v"));
  auto before = collect(*w, 5, milliseconds(5000));
  ASSERT_EQ(before.size(), 5u);
  cluster_->kill(serving);
  for (int i = 5; i < 10; ++i) ASSERT_TRUE(kv.put("r/" + std::to_string(i), "v"));
  auto after = collect(*w, 5, milliseconds(15000));
  ASSERT_EQ(after.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(after[i].kv.key, "r/" + std::to_string(i + 5));
  }
  EXPECT_EQ(after[0].kv.mod_revision, before.back().kv.mod_revision + 1);
  EXPECT_GE(w->resumes(), 1u);
  auto more = w->next(Context::with_timeout(milliseconds(300)));
  EXPECT_FALSE(more) << "no event may be repeated";
}

TEST_F(WatchTest, CompactedStartRevisionEndsTheWatchWithAnError) {
  auto client = connect();
  KV kv(client);
  ASSERT_TRUE(kv.put("cw/k", "1"));
  auto last = kv.put("cw/k", "2");
  ASSERT_TRUE(last);
  ASSERT_TRUE(kv.compact(last->header.revision));
  auto w = Watcher::start(client, "cw/k", WatchOptions{.start_revision = 1});
  auto r = w->next(Context::with_timeout(seconds(10)));
  ASSERT_FALSE(r);
  REGENT_SKIP_IF_UNSERVED(r, "Watch");
  EXPECT_TRUE(r.error().is_compacted()) << r.error().describe();
  EXPECT_EQ(r.error().compact_revision, last->header.revision);
  auto again = w->next(Context::with_timeout(milliseconds(100)));
  ASSERT_FALSE(again);
  EXPECT_TRUE(again.error().is_compacted());
}

TEST_F(WatchTest, CancelEndsNextWithCancelled) {
  auto client = connect();
  auto w = Watcher::start(client, "c/k");
  w->cancel();
  auto r = w->next(Context::with_timeout(seconds(1)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kCancelled);
}

}  // namespace
}  // namespace regent::client::testing
