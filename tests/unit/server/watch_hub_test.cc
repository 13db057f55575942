// The watch hub without gRPC: streams are fake sinks, the loop is the test calling on_applied /
// on_tick / on_leader after applying writes to a real StateMachine, and the syncer is the test
// calling sync_once(). Creation and ids, history, filters, cancel, compaction (at creation, in
// the same batch, overtaking a slow watcher), slow streams (bounded queue, paused reading,
// catch-up with nothing lost or repeated), many watchers sharing a put, responses joined for a
// slow client, released streams, progress, hasleader and stop.
#include "server/watch/watch_hub.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/logger.h"

namespace regent::server {
namespace {

using Response = etcdserverpb::WatchResponse;
using Clock = std::chrono::steady_clock;

// What a client reads of a written response: its parts, concatenated, parsed.
Response parse(const WireResponse& parts) {
  std::string bytes;
  for (const WireBytes& part : parts) bytes += *part;
  Response r;
  EXPECT_TRUE(r.ParseFromString(bytes));
  return r;
}

// A client stream: what was written to it, and whether it keeps up (acks writes at once).
class FakeSink final : public WatchSink {
 public:
  void write(WireResponse r) override {
    ASSERT_FALSE(in_flight) << "two writes in flight";
    ASSERT_FALSE(finished) << "write after finish";
    in_flight = true;
    written.push_back(parse(r));
  }
  void read_more() override { ++reads; }
  void finish(const grpc::Status& s) override {
    ASSERT_FALSE(in_flight) << "finish with a write in flight";
    ASSERT_FALSE(finished) << "finished twice";
    finished = true;
    status = s;
  }

  std::vector<Response> written;
  bool in_flight = false;
  int reads = 0;
  bool finished = false;
  grpc::Status status;
};

regentpb::InternalRequest put_request(const std::string& key, const std::string& value) {
  regentpb::InternalRequest r;
  r.mutable_put()->set_key(key);
  r.mutable_put()->set_value(value);
  return r;
}

class WatchHubTest : public ::testing::Test {
 protected:
  explicit WatchHubTest(WatchOptions options = WatchOptions()) { make_hub(options); }

  void make_hub(WatchOptions options) {
    hub_.reset();
    hub_ = std::make_unique<WatchHub>(
        machine_,
        [](etcdserverpb::ResponseHeader* h, int64_t revision) {
          h->set_cluster_id(1);
          h->set_member_id(2);
          h->set_revision(revision);
        },
        options, logger_);
    hub_->on_leader(1, true, 1);
  }

  struct Client {
    uint64_t id = 0;
    std::shared_ptr<FakeSink> sink;
    size_t seen = 0;  // Responses taken by take().
  };

  Client open(bool require_leader = false) {
    Client c{.sink = std::make_shared<FakeSink>()};
    auto id = hub_->open(c.sink, require_leader);
    EXPECT_TRUE(id.has_value());
    c.id = id.value_or(0);
    return c;
  }

  // The client reads everything the hub sends it (bounded), and returns what is new.
  std::vector<Response> take(Client& c) {
    for (int i = 0; i < 100000 && c.sink->in_flight; ++i) {
      c.sink->in_flight = false;
      hub_->on_written(c.id, true);
    }
    std::vector<Response> out(c.sink->written.begin() + static_cast<long>(c.seen),
                              c.sink->written.end());
    c.seen = c.sink->written.size();
    return out;
  }

  bool handle(Client& c, const etcdserverpb::WatchRequest& r) { return hub_->handle(c.id, r); }

  bool create(Client& c, const std::string& key, const std::string& end = "", int64_t start = 0,
              std::function<void(etcdserverpb::WatchCreateRequest&)> more = nullptr) {
    etcdserverpb::WatchRequest r;
    auto* cr = r.mutable_create_request();
    cr->set_key(key);
    cr->set_range_end(end);
    cr->set_start_revision(start);
    if (more) more(*cr);
    return handle(c, r);
  }

  void cancel(Client& c, int64_t watch_id) {
    etcdserverpb::WatchRequest r;
    r.mutable_cancel_request()->set_watch_id(watch_id);
    handle(c, r);
  }

  // Applies a write, as the loop would, and tells the hub after `batch` writes.
  void apply(const regentpb::InternalRequest& r) {
    auto result = machine_.apply(r);
    ASSERT_TRUE(result.has_value()) << result.error().message;
  }
  void put(const std::string& key, const std::string& value, bool notify = true) {
    apply(put_request(key, value));
    if (notify) applied();
  }
  void del(const std::string& key, const std::string& end = "") {
    regentpb::InternalRequest r;
    r.mutable_delete_range()->set_key(key);
    r.mutable_delete_range()->set_range_end(end);
    apply(r);
    applied();
  }
  void compact(int64_t revision, bool notify = true) {
    regentpb::InternalRequest r;
    r.mutable_compaction()->set_revision(revision);
    apply(r);
    if (notify) applied();
  }
  void applied() { hub_->on_applied(0, machine_.revision()); }
  // The syncer, until it has nothing ready (bounded).
  void sync() {
    for (int i = 0; i < 1000 && hub_->sync_once(); ++i) {
    }
  }

  // Every event of the responses, as "PUT key@rev" / "DELETE key@rev".
  static std::vector<std::string> events(const std::vector<Response>& rs, int64_t watch_id = -2) {
    std::vector<std::string> out;
    for (const Response& r : rs) {
      if (watch_id != -2 && r.watch_id() != watch_id) continue;
      for (const auto& e : r.events()) {
        out.push_back((e.type() == mvccpb::Event::PUT ? "PUT " : "DELETE ") + e.kv().key() + "@" +
                      std::to_string(e.kv().mod_revision()));
      }
    }
    return out;
  }

  StateMachine machine_;
  NullLogger logger_;
  std::unique_ptr<WatchHub> hub_;
};

using Strings = std::vector<std::string>;

TEST_F(WatchHubTest, CreatedThenEventsOfTheWatchedKeyOnly) {
  put("a", "0");  // 2
  Client c = open();
  EXPECT_TRUE(create(c, "a"));
  auto rs = take(c);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_TRUE(rs[0].created());
  EXPECT_FALSE(rs[0].canceled());
  EXPECT_EQ(rs[0].watch_id(), 0);
  EXPECT_EQ(rs[0].header().revision(), 2);  // The store's revision at creation.
  EXPECT_EQ(rs[0].header().member_id(), 2u);
  put("a", "1");  // 3
  put("b", "1");  // 4
  del("a");       // 5
  rs = take(c);
  EXPECT_EQ(events(rs), (Strings{"PUT a@3", "DELETE a@5"}));
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].header().revision(), 3);
  EXPECT_EQ(rs[1].header().revision(), 5);
  EXPECT_EQ(rs[0].events(0).kv().value(), "1");
  EXPECT_FALSE(rs[0].events(0).has_prev_kv());
}

TEST_F(WatchHubTest, WatchIdsAsEtcdAssignsThem) {
  Client c = open();
  create(c, "a");                                             // auto: 0
  create(c, "a", "", 0, [](auto& r) { r.set_watch_id(2); });  // given: 2
  create(c, "a");                                             // auto: 1
  create(c, "a");                                             // auto: 3 (2 taken)
  create(c, "a", "", 0, [](auto& r) { r.set_watch_id(1); });  // taken: refused
  create(c, "b", "a");                                        // empty range
  auto rs = take(c);
  ASSERT_EQ(rs.size(), 6u);
  std::vector<int64_t> ids;
  for (const Response& r : rs) ids.push_back(r.watch_id());
  EXPECT_EQ(ids, (std::vector<int64_t>{0, 2, 1, 3, -1, -1}));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(rs[i].created() && !rs[i].canceled());
  EXPECT_TRUE(rs[4].created() && rs[4].canceled());
  EXPECT_EQ(rs[4].cancel_reason(), "mvcc: duplicate watch ID provided on the WatchStream");
  EXPECT_TRUE(rs[5].created() && rs[5].canceled());
  EXPECT_EQ(rs[5].cancel_reason(), "mvcc: watcher range is empty");
  // Another stream numbers its own watchers from 0.
  Client d = open();
  create(d, "a");
  EXPECT_EQ(take(d).at(0).watch_id(), 0);
}

TEST_F(WatchHubTest, RangesPrefixesFiltersAndPrevKv) {
  Client c = open();
  create(c, "p/", "p0");                   // 0: prefix p/
  create(c, "p/b", std::string(1, '\0'));  // 1: from p/b on
  create(c, "", std::string(1, '\0'));     // 2: everything
  create(c, "p/", "p0", 0, [](auto& r) { r.add_filters(etcdserverpb::WatchCreateRequest::NOPUT); });
  create(c, "p/", "p0", 0, [](auto& r) {
    r.add_filters(etcdserverpb::WatchCreateRequest::NODELETE);
    r.set_prev_kv(true);
  });
  take(c);
  put("p/a", "1");  // 2
  put("q", "1");    // 3
  put("p/a", "2");  // 4
  del("p/a");       // 5
  put("p/b", "1");  // 6
  auto rs = take(c);
  EXPECT_EQ(events(rs, 0), (Strings{"PUT p/a@2", "PUT p/a@4", "DELETE p/a@5", "PUT p/b@6"}));
  EXPECT_EQ(events(rs, 1), (Strings{"PUT q@3", "PUT p/b@6"}));
  EXPECT_EQ(events(rs, 2),
            (Strings{"PUT p/a@2", "PUT q@3", "PUT p/a@4", "DELETE p/a@5", "PUT p/b@6"}));
  EXPECT_EQ(events(rs, 3), (Strings{"DELETE p/a@5"}));
  EXPECT_EQ(events(rs, 4), (Strings{"PUT p/a@2", "PUT p/a@4", "PUT p/b@6"}));
  for (const Response& r : rs) {
    for (const auto& e : r.events()) {
      const bool has_prev = e.kv().key() == "p/a" && e.kv().mod_revision() == 4;
      EXPECT_EQ(e.has_prev_kv(), r.watch_id() == 4 && has_prev) << r.ShortDebugString();
      if (e.has_prev_kv()) {
        EXPECT_EQ(e.prev_kv().value(), "1");
      }
    }
  }
}

TEST_F(WatchHubTest, HistoryFirstThenLiveWithoutGapOrRepeat) {
  for (int i = 0; i < 10; ++i) put("k", std::to_string(i));  // 2..11
  Client c = open();
  create(c, "k", "", 4);
  auto rs = take(c);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_TRUE(rs[0].created());
  EXPECT_EQ(hub_->stats().unsynced, 1u);
  // Writes land before the syncer runs, some not yet dispatched (the loop is between apply and
  // on_applied): they must come exactly once, whichever path brings them.
  put("k", "x");         // 12, dispatched (to nobody synced)
  put("k", "y", false);  // 13, applied only
  sync();
  put("k", "z", false);  // 14, applied only
  applied();
  sync();
  put("k", "w");  // 15
  rs = take(c);
  Strings want;
  for (int rev = 4; rev <= 15; ++rev) want.push_back("PUT k@" + std::to_string(rev));
  EXPECT_EQ(events(rs), want);
  EXPECT_EQ(hub_->stats().unsynced, 0u);
}

TEST_F(WatchHubTest, AFutureStartRevisionWaitsForIt) {
  Client c = open();
  create(c, "k", "", 4);
  put("k", "a");  // 2
  put("k", "b");  // 3
  put("k", "c");  // 4
  put("k", "d");  // 5
  EXPECT_EQ(events(take(c)), (Strings{"PUT k@4", "PUT k@5"}));
}

TEST_F(WatchHubTest, ALongJumpIsCaughtUpByTheSyncerNotTheLoop) {
  WatchOptions o;
  o.max_dispatch_revisions = 5;
  make_hub(o);
  Client c = open();
  create(c, "k");
  take(c);
  put("k", "a");                                                    // 2: dispatched by the loop
  for (int i = 0; i < 10; ++i) put("k", std::to_string(i), false);  // 3..12 in one batch
  applied();
  EXPECT_EQ(events(take(c)), (Strings{"PUT k@2"}));
  EXPECT_EQ(hub_->stats().unsynced, 1u);
  sync();
  put("k", "b");  // 13
  Strings want;
  for (int rev = 3; rev <= 13; ++rev) want.push_back("PUT k@" + std::to_string(rev));
  EXPECT_EQ(events(take(c)), want);
  EXPECT_EQ(hub_->stats().unsynced, 0u);
}

// A dispatch visits only the watchers its changes concern: one that no change concerned for a
// while has still seen them all, so compaction behind it does not cancel it when it falls back
// to the syncer.
TEST_F(WatchHubTest, AWatcherNoChangeConcernedKeepsItsPlace) {
  WatchOptions o;
  o.max_dispatch_revisions = 5;
  make_hub(o);
  Client c = open();
  create(c, "quiet");
  take(c);
  for (int i = 0; i < 4; ++i) put("busy", std::to_string(i));          // 2..5, one at a time
  compact(5);                                                          // Past where it began.
  put("quiet", "q", false);                                            // 6
  for (int i = 0; i < 10; ++i) put("busy", std::to_string(i), false);  // 7..16
  applied();  // A long jump: the syncer catches it up, from 6.
  EXPECT_EQ(hub_->stats().unsynced, 1u);
  sync();
  const std::vector<Response> rs = take(c);
  EXPECT_EQ(events(rs), (Strings{"PUT quiet@6"}));
  for (const Response& r : rs) EXPECT_FALSE(r.canceled());
  EXPECT_EQ(hub_->stats().unsynced, 0u);
}

TEST_F(WatchHubTest, CancelAnswersOnceAndStopsEvents) {
  Client c = open();
  create(c, "k");
  take(c);
  cancel(c, 0);
  cancel(c, 0);   // Unknown now: no answer, as etcd.
  cancel(c, 42);  // Never known.
  auto rs = take(c);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_TRUE(rs[0].canceled());
  EXPECT_EQ(rs[0].watch_id(), 0);
  put("k", "v");
  EXPECT_TRUE(take(c).empty());
  EXPECT_EQ(hub_->stats().watchers, 0u);
}

TEST_F(WatchHubTest, CompactedStartRevision) {
  for (int i = 0; i < 5; ++i) put("k", std::to_string(i));  // 2..6
  compact(4);
  Client c = open();
  create(c, "k", "", 3);  // Below the compaction: created, then compacted (etcd's order).
  create(c, "k", "", 4);  // At it: served from what is kept (etcd: only below is compacted).
  sync();
  auto rs = take(c);
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_TRUE(rs[0].created());
  EXPECT_TRUE(rs[1].created());
  const Response& compacted = rs[2].watch_id() == 0 ? rs[2] : rs[3];
  const Response& history = rs[2].watch_id() == 0 ? rs[3] : rs[2];
  EXPECT_EQ(compacted.compact_revision(), 4);
  EXPECT_TRUE(compacted.canceled());
  EXPECT_EQ(compacted.cancel_reason(), "etcdserver: mvcc: required revision has been compacted");
  EXPECT_EQ(events({history}), (Strings{"PUT k@4", "PUT k@5", "PUT k@6"}));
  EXPECT_EQ(hub_->stats().watchers, 1u);
}

TEST_F(WatchHubTest, ACompactionInTheSameBatchCancelsWhoMissedRevisions) {
  Client c = open();
  create(c, "k");
  create(c, "other");
  take(c);
  put("k", "a", false);  // 2
  put("k", "b", false);  // 3
  compact(3, false);     // Before the hub saw 2 and 3: k@2 is gone.
  applied();
  auto rs = take(c);
  ASSERT_EQ(rs.size(), 2u);
  for (const Response& r : rs) {
    EXPECT_TRUE(r.canceled());
    EXPECT_EQ(r.compact_revision(), 3);
  }
  EXPECT_EQ(hub_->stats().watchers, 0u);
}

TEST_F(WatchHubTest, ProgressNotifyWhenIdleAndProgressRequests) {
  WatchOptions o;
  o.progress_interval = std::chrono::seconds(10);
  make_hub(o);
  const Clock::time_point t0{};
  hub_->on_tick(t0);
  Client c = open();
  create(c, "k", "", 0, [](auto& r) { r.set_progress_notify(true); });
  create(c, "j");  // Did not ask.
  take(c);
  put("x", "1");  // 2
  hub_->on_tick(t0 + std::chrono::seconds(5));
  EXPECT_TRUE(take(c).empty());
  hub_->on_tick(t0 + std::chrono::seconds(10));
  auto rs = take(c);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].watch_id(), 0);
  EXPECT_EQ(rs[0].events_size(), 0);
  EXPECT_FALSE(rs[0].created() || rs[0].canceled());
  EXPECT_EQ(rs[0].header().revision(), 2);
  // Events since the last tick: no notification at the next one.
  put("k", "1");  // 3
  take(c);
  hub_->on_tick(t0 + std::chrono::seconds(20));
  EXPECT_TRUE(take(c).empty());
  hub_->on_tick(t0 + std::chrono::seconds(30));
  EXPECT_EQ(take(c).size(), 1u);
  // A progress request: one answer for the whole stream (watch id -1).
  etcdserverpb::WatchRequest pr;
  pr.mutable_progress_request();
  handle(c, pr);
  rs = take(c);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].watch_id(), -1);
  EXPECT_EQ(rs[0].header().revision(), 3);
}

TEST_F(WatchHubTest, AProgressRequestWaitsForWatchersCatchingUp) {
  for (int i = 0; i < 5; ++i) put("k", std::to_string(i));  // 2..6
  Client c = open();
  create(c, "k", "", 2);
  etcdserverpb::WatchRequest pr;
  pr.mutable_progress_request();
  handle(c, pr);
  auto rs = take(c);
  ASSERT_EQ(rs.size(), 1u);  // Only "created": the history is not sent yet.
  sync();
  rs = take(c);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(events({rs[0]}).size(), 5u);
  EXPECT_EQ(rs[1].watch_id(), -1);
  EXPECT_EQ(rs[1].header().revision(), 6);
}

class SlowWatchHubTest : public WatchHubTest {
 protected:
  static WatchOptions small() {
    WatchOptions o;
    o.max_pending_bytes = 4000;
    o.catch_up_events = 7;
    o.catch_up_bytes = 1000;  // Five 200-byte values.
    return o;
  }
  SlowWatchHubTest() : WatchHubTest(small()) {}
};

TEST_F(SlowWatchHubTest, ASlowStreamIsBoundedThenCaughtUpWithNothingLostOrRepeated) {
  Client slow = open();
  Client fast = open();
  create(slow, "k");
  create(fast, "k");
  take(fast);  // `slow` never acks: its first write stays in flight.
  const std::string value(200, 'v');
  for (int i = 0; i < 100; ++i) {
    put("k", value);  // 2..101
    take(fast);
  }
  // The slow stream holds at most its limit; its watcher reads history later.
  EXPECT_EQ(hub_->stats().unsynced, 1u);
  EXPECT_LE(slow.sink->written.size(), 1u);
  EXPECT_EQ(fast.seen, 101u);
  // The client drains; the syncer catches up in bounded reads, interleaved with new writes.
  for (int round = 0; round < 100 && hub_->stats().unsynced > 0; ++round) {
    take(slow);
    sync();
    if (round % 3 == 0) put("k", value);
  }
  EXPECT_EQ(hub_->stats().unsynced, 0u);
  put("k", "last");
  take(slow);
  Strings got = events(slow.sink->written);
  const int64_t last = machine_.revision();
  Strings want;
  for (int64_t rev = 2; rev <= last; ++rev) want.push_back("PUT k@" + std::to_string(rev));
  EXPECT_EQ(got, want);
}

TEST_F(SlowWatchHubTest, ReadingPausesWhileTheQueueIsFull) {
  Client c = open();
  int accepted = 0;
  while (accepted < 2000 && create(c, "k")) ++accepted;
  // Created answers pile up unread: the hub stops reading the stream...
  EXPECT_GT(accepted, 100);
  EXPECT_LT(accepted, 2000);
  EXPECT_EQ(c.sink->reads, 0);
  // ...and asks for the next request once the client has read them.
  take(c);
  EXPECT_EQ(c.sink->reads, 1);
}

TEST_F(SlowWatchHubTest, CompactionOvertakingASlowWatcherCancelsIt) {
  Client c = open();
  create(c, "k");
  const std::string value(500, 'v');
  for (int i = 0; i < 30; ++i) put("k", value);  // 2..31; the stream stalls.
  EXPECT_EQ(hub_->stats().unsynced, 1u);
  compact(machine_.revision());
  take(c);
  sync();
  auto rs = take(c);
  ASSERT_FALSE(rs.empty());
  EXPECT_TRUE(rs.back().canceled());
  EXPECT_EQ(rs.back().compact_revision(), 31);
  EXPECT_EQ(hub_->stats().watchers, 0u);
}

TEST_F(WatchHubTest, HasLeaderStreams) {
  hub_->on_leader(raft::kNone, false, 2);
  auto refused = hub_->open(std::make_shared<FakeSink>(), true);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, StatusCode::UNAVAILABLE);
  EXPECT_EQ(refused.error().message, "etcdserver: no leader");
  hub_->on_leader(3, false, 2);
  Client needs = open(true);
  Client plain = open(false);
  create(needs, "k");
  create(plain, "k");
  take(needs);
  take(plain);
  const Clock::time_point t0{};
  hub_->on_leader(raft::kNone, false, 3);
  hub_->on_tick(t0);
  hub_->on_tick(t0 + std::chrono::milliseconds(2999));
  EXPECT_FALSE(needs.sink->finished);  // A short election does not end streams.
  hub_->on_leader(3, false, 3);
  hub_->on_tick(t0 + std::chrono::seconds(4));
  EXPECT_FALSE(needs.sink->finished);
  hub_->on_leader(raft::kNone, false, 4);
  hub_->on_tick(t0 + std::chrono::seconds(5));
  hub_->on_tick(t0 + std::chrono::seconds(8));
  EXPECT_TRUE(needs.sink->finished);
  EXPECT_EQ(needs.sink->status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(needs.sink->status.error_message(), "etcdserver: no leader");
  EXPECT_FALSE(plain.sink->finished);
  EXPECT_EQ(hub_->stats().streams, 1u);
}

TEST_F(WatchHubTest, AStreamFinishesOnlyWhenNoWriteIsInFlight) {
  Client c = open();
  create(c, "k");  // Its "created" is in flight, unacked.
  hub_->cancel_stream(c.id);
  EXPECT_FALSE(c.sink->finished);
  c.sink->in_flight = false;
  hub_->on_written(c.id, false);
  EXPECT_TRUE(c.sink->finished);
  EXPECT_EQ(hub_->stats().streams, 0u);
}

TEST_F(WatchHubTest, StopFinishesEveryStreamAndRefusesNewOnes) {
  Client a = open();
  Client b = open();
  create(a, "k");
  take(a);
  hub_->stop(stopped());
  EXPECT_TRUE(a.sink->finished);
  EXPECT_EQ(a.sink->status.error_message(), "etcdserver: server stopped");
  EXPECT_TRUE(b.sink->finished);
  EXPECT_FALSE(hub_->open(std::make_shared<FakeSink>(), false).has_value());
}

// Watchers of one key on many streams share each put's conversion: every watcher still gets
// every event it matches, once, in order, under its own watch id and filters.
TEST_F(WatchHubTest, ManyWatchersOfOneKeyEachGetEveryEventInOrder) {
  constexpr int kStreams = 40;
  std::vector<Client> clients;
  for (int i = 0; i < kStreams; ++i) {
    clients.push_back(open());
    Client& c = clients.back();
    create(c, "k");  // 0: every event
    if (i % 2 == 0) create(c, "k", "", 0, [](auto& r) { r.set_watch_id(7); });
    if (i % 3 == 0) {
      create(c, "k", "", 0, [](auto& r) {  // 1: deletes only, with prev_kv
        r.add_filters(etcdserverpb::WatchCreateRequest::NOPUT);
        r.set_prev_kv(true);
      });
    }
    take(c);
  }
  Strings all;
  Strings deletes;
  for (int round = 0; round < 10; ++round) {
    put("k", "a" + std::to_string(round));
    put("other", "x");
    all.push_back("PUT k@" + std::to_string(machine_.revision() - 1));
    // Several revisions in one applied batch, as the loop hands them over.
    put("k", "b", /*notify=*/false);
    put("k", "c", /*notify=*/false);
    del("k");
    const int64_t rev = machine_.revision();
    all.insert(all.end(), {"PUT k@" + std::to_string(rev - 2), "PUT k@" + std::to_string(rev - 1),
                           "DELETE k@" + std::to_string(rev)});
    deletes.push_back("DELETE k@" + std::to_string(rev));
    // Half the clients read as they go; the others only at the end.
    for (int i = 0; i < kStreams; i += 2) take(clients[static_cast<size_t>(i)]);
  }
  for (int i = 0; i < kStreams; ++i) {
    Client& c = clients[static_cast<size_t>(i)];
    take(c);
    const Strings got = events(c.sink->written, 0);
    EXPECT_EQ(got, all) << "stream " << i;
    if (i % 2 == 0) {
      EXPECT_EQ(events(c.sink->written, 7), all) << "stream " << i;
    }
    if (i % 3 == 0) {
      const int64_t id = 1;  // The next automatic id either way (7 was given).
      EXPECT_EQ(events(c.sink->written, id), deletes) << "stream " << i;
      for (const Response& r : c.sink->written) {
        if (r.watch_id() != id) continue;
        for (const auto& e : r.events()) EXPECT_EQ(e.prev_kv().value(), "c");
      }
    }
    for (const Response& r : c.sink->written) {
      if (r.events_size() == 0) continue;
      // A response's revision is that of its last event, or later.
      EXPECT_GE(r.header().revision(), r.events(r.events_size() - 1).kv().mod_revision());
    }
  }
}

// A client reading slower than puts come gets them in fewer, fuller responses rather than one
// per put, in order, each response holding whole revisions.
TEST_F(WatchHubTest, ResponsesWaitingForASlowClientLeaveTogether) {
  Client c = open();
  create(c, "k");  // Its "created" stays in flight while the puts come.
  for (int i = 0; i < 10; ++i) put("k", std::to_string(i));  // 2..11
  auto rs = take(c);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_TRUE(rs[0].created());
  Strings want;
  for (int rev = 2; rev <= 11; ++rev) want.push_back("PUT k@" + std::to_string(rev));
  EXPECT_EQ(events(rs), want);
  EXPECT_EQ(rs[1].header().revision(), 11);
  // One that keeps up still gets each put as it comes.
  put("k", "x");  // 12
  put("k", "y");  // 13
  rs = take(c);
  EXPECT_EQ(events(rs), (Strings{"PUT k@12", "PUT k@13"}));
}

TEST_F(WatchHubTest, ResponsesJoinOnlyWithinTheBatchLimits) {
  WatchOptions o;
  o.batch.max_revisions = 3;
  make_hub(o);
  Client c = open();
  create(c, "k");
  create(c, "j");
  for (int i = 0; i < 7; ++i) put("k", std::to_string(i));  // 2..8
  put("j", "1");                                            // 9
  put("k", "z");                                            // 10
  auto rs = take(c);
  // created, created, then k's 2..4, 5..7, 8 (another watcher's response follows), j's 9, k's 10.
  ASSERT_EQ(rs.size(), 7u);
  std::vector<int> sizes;
  for (size_t i = 2; i < rs.size(); ++i) sizes.push_back(rs[i].events_size());
  EXPECT_EQ(sizes, (std::vector<int>{3, 3, 1, 1, 1}));
  EXPECT_EQ(rs[2].header().revision(), 4);
  EXPECT_EQ(rs[3].header().revision(), 7);
  EXPECT_EQ(events(rs, 0), (Strings{"PUT k@2", "PUT k@3", "PUT k@4", "PUT k@5", "PUT k@6",
                                    "PUT k@7", "PUT k@8", "PUT k@10"}));
}

// A closed stream's watchers and queued responses go with it, whether it closed with a write in
// flight or not, and the other streams are untouched.
TEST_F(WatchHubTest, AClosedStreamsStateIsReleased) {
  std::vector<Client> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(open());
    create(clients.back(), "k");
    create(clients.back(), "j");
    take(clients.back());
  }
  for (int i = 0; i < 20; ++i) put("k", std::string(100, 'v'));  // Queued for all of them.
  EXPECT_EQ(hub_->stats().streams, 10u);
  EXPECT_EQ(hub_->stats().watchers, 20u);
  for (int i = 0; i < 9; ++i) {
    Client& c = clients[static_cast<size_t>(i)];
    hub_->cancel_stream(c.id);  // A write is in flight: it ends when that completes.
    c.sink->in_flight = false;
    hub_->on_written(c.id, i % 2 == 0);
    EXPECT_TRUE(c.sink->finished);
  }
  EXPECT_EQ(hub_->stats().streams, 1u);
  EXPECT_EQ(hub_->stats().watchers, 2u);
  put("k", "last");
  Client& open_one = clients.back();
  take(open_one);
  EXPECT_EQ(events(open_one.sink->written, 0).size(), 21u);
  hub_->cancel_stream(open_one.id);
  EXPECT_EQ(hub_->stats().streams, 0u);
  EXPECT_EQ(hub_->stats().watchers, 0u);
  // A write after the end changes nothing.
  hub_->on_written(open_one.id, true);
  put("k", "after");
  EXPECT_EQ(hub_->stats().streams, 0u);
}

// A sink written from the hub's threads while the test acknowledges from its own.
class ThreadedSink final : public WatchSink {
 public:
  void write(WireResponse r) override {
    std::lock_guard lock(mu_);
    EXPECT_FALSE(in_flight_) << "two writes in flight";
    in_flight_ = true;
    written_.push_back(parse(r));
  }
  void read_more() override {}
  void finish(const grpc::Status&) override {}
  // Completes the write in flight, if any: returns whether there was one.
  bool ack(WatchHub& hub, uint64_t id) {
    {
      std::lock_guard lock(mu_);
      if (!in_flight_) return false;
      in_flight_ = false;
    }
    hub.on_written(id, true);
    return true;
  }
  std::vector<Response> written() {
    std::lock_guard lock(mu_);
    return written_;
  }

 private:
  std::mutex mu_;
  bool in_flight_ = false;
  std::vector<Response> written_;
};

// Started, the hub serves watchers on its dispatcher thread while the loop (here, the test)
// goes on applying: every watcher still gets every put, once and in order.
TEST_F(WatchHubTest, StartedTheDispatcherServesEveryWatcherEveryPut) {
  hub_->start();
  std::vector<std::pair<uint64_t, std::shared_ptr<ThreadedSink>>> clients;
  for (int i = 0; i < 8; ++i) {
    auto sink = std::make_shared<ThreadedSink>();
    auto id = hub_->open(sink, false);
    ASSERT_TRUE(id.has_value());
    etcdserverpb::WatchRequest r;
    r.mutable_create_request()->set_key("k");
    hub_->handle(*id, r);
    clients.emplace_back(*id, sink);
  }
  Strings want;
  for (int i = 0; i < 300; ++i) {
    put("k", std::to_string(i));
    want.push_back("PUT k@" + std::to_string(machine_.revision()));
    if (i % 7 == 0) {
      for (auto& [id, sink] : clients) sink->ack(*hub_, id);
    }
  }
  // The clients read until every put arrived (bounded: 10 s).
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  bool all = false;
  while (!all && Clock::now() < deadline) {
    all = true;
    for (auto& [id, sink] : clients) {
      sink->ack(*hub_, id);
      all = all && events(sink->written()).size() >= want.size();
    }
    if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (auto& [id, sink] : clients) EXPECT_EQ(events(sink->written()), want);
  hub_->stop(stopped());
}

}  // namespace
}  // namespace regent::server
