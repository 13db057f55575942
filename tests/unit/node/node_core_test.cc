// The node core's orderings as its host sees them: what it asks, and when it answers. A
// one-member cluster over the real storage on a simulated disk, driven by hand.
#include "server/node/node_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <memory>
#include <set>
#include <variant>

#include "common/logger.h"
#include "sim/sim_fs.h"

namespace regent::server {
namespace {

using std::chrono::milliseconds;

regentpb::InternalRequest put(const std::string& key, const std::string& value) {
  regentpb::InternalRequest r;
  r.mutable_put()->set_key(key);
  r.mutable_put()->set_value(value);
  return r;
}

// What a host does with an image the core asked for: the image, written to its file; its size.
uint64_t write_image(storage::DiskStorage& storage, StateMachine& machine,
                     const NodeActions::Image& image) {
  raft::Snapshot snapshot{.data = machine.image(), .metadata = image.metadata};
  EXPECT_TRUE(storage.write_snapshot_file(snapshot).has_value());
  return snapshot.data.size();
}

// Node 1's core over the real storage on a simulated disk, bootstrapped with `voters`.
class CoreUnderTest : public ::testing::Test {
 protected:
  void start_core(std::set<raft::NodeId> voters, NodeOptions o) {
    auto opened = storage::DiskStorage::open(fs_, "/data", {}, logger_);
    ASSERT_TRUE(opened.has_value());
    storage_ = std::move(*opened);
    raft::Snapshot boot;
    boot.metadata = {.conf_state = {.voters = std::move(voters)}, .index = 1, .term = 1};
    boot.data = StateMachine().image();
    ASSERT_TRUE(storage_->save({}, raft::HardState{.term = 1, .commit = 1}, boot).has_value());
    o.id = 1;
    o.seed = 7;
    core_ = std::make_unique<NodeCore>(o, *storage_, machine_, logger_);
    ASSERT_TRUE(core_->start().has_value());
  }

  sim::SimFs fs_;
  NullLogger logger_;
  std::unique_ptr<storage::DiskStorage> storage_;
  StateMachine machine_;
  std::unique_ptr<NodeCore> core_;
  Time now_{};
};

class NodeCoreTest : public CoreUnderTest {
 protected:
  void SetUp() override { boot(); }

  void boot(uint64_t snapshot_count = 0, uint64_t quota_bytes = 0) {
    NodeOptions o;
    o.snapshot_count = snapshot_count;
    o.quota_bytes = quota_bytes;
    o.request_timeout = milliseconds(500);
    start_core({1}, o);
    // Campaign and win (one voter), syncing every round the core asks for.
    for (int i = 0; i < 40 && !core_->status().is_leader; ++i) {
      core_->tick(advance(milliseconds(100)));
      settle();
    }
    ASSERT_TRUE(core_->status().is_leader);
  }

  Time advance(milliseconds d) { return now_ += d; }

  // Does what the core asks, syncing at once, until it asks nothing more; returns the answers
  // run and whether any image was asked for.
  int settle() {
    int answered = 0;
    for (int i = 0; i < 100; ++i) {
      NodeActions a = core_->take_actions();
      for (Answer& answer : a.answers) {
        answer();
        ++answered;
      }
      EXPECT_FALSE(a.fatal.has_value());
      if (a.image) core_->image_taken(a.image->index, write_image(*storage_, machine_, *a.image));
      if (!a.sync_round && !a.image) return answered;
      if (a.sync_round) {
        EXPECT_TRUE(storage_->sync().has_value());
        core_->synced(*a.sync_round);
      }
      core_->check_invariants();
    }
    ADD_FAILURE() << "the core kept asking for more";
    return answered;
  }
};

TEST_F(NodeCoreTest, AWriteIsAnsweredOnlyOnceItsRoundIsSyncedAndTheNextIsPipelinedBehindIt) {
  std::optional<Expected<WriteResponse, Failure>> got;
  core_->propose(
      put("k", "v"), [&](Expected<WriteResponse, Failure> r) { got = std::move(r); }, now_);
  NodeActions a = core_->take_actions();
  ASSERT_TRUE(a.sync_round.has_value()) << "a new entry must be synced";
  EXPECT_TRUE(a.answers.empty()) << "answered before its entry was durable";
  const raft::Index first_last = core_->status().last_index;
  // A second write during the sync is appended at once (the Raft core takes it), but nothing is
  // written to storage until the sync outstanding is done: no second sync is asked for yet.
  bool second = false;
  core_->propose(
      put("k2", "v"), [&](Expected<WriteResponse, Failure> r) { second = r.has_value(); }, now_);
  NodeActions during = core_->take_actions();
  EXPECT_FALSE(during.sync_round.has_value());
  EXPECT_EQ(core_->status().last_index, first_last + 1) << "the write waited for the sync";
  EXPECT_EQ(core_->rounds_outstanding(), 2u);
  ASSERT_TRUE(storage_->sync().has_value());
  // What the host's fdatasync made durable is the first write alone.
  EXPECT_EQ(storage_->last_index(), first_last) << "storage written while a sync was outstanding";
  core_->synced(*a.sync_round);
  settle();
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->has_value()) << got->error().message;
  EXPECT_TRUE(std::holds_alternative<kv::PutResponse>(**got));
  EXPECT_TRUE(second);
  EXPECT_EQ(machine_.revision(), 3);
  EXPECT_EQ(core_->rounds_outstanding(), 0u);
}

TEST_F(NodeCoreTest, AReadIsAnsweredOnceTheReadIndexIsApplied) {
  core_->propose(
      put("k", "v"), [](Expected<WriteResponse, Failure>) {}, now_);
  bool read = false;
  std::vector<Done> reads;
  reads.push_back([&](Expected<void, Failure> r) { read = r.has_value(); });
  core_->read_index(std::move(reads), now_);
  settle();
  EXPECT_TRUE(read);
  EXPECT_GE(core_->applied(), core_->status().commit);
}

TEST_F(NodeCoreTest, StopAnswersEveryWaitingClient) {
  int failures = 0;
  for (int i = 0; i < 3; ++i) {
    core_->propose(
        put("k", std::to_string(i)),
        [&](Expected<WriteResponse, Failure> r) { failures += r.has_value() ? 0 : 1; }, now_);
  }
  NodeActions a = core_->take_actions();
  ASSERT_TRUE(a.sync_round.has_value());
  core_->stop(stopped());
  for (Answer& answer : core_->take_actions().answers) answer();
  EXPECT_EQ(failures, 3);
}

regentpb::InternalRequest alarm(etcdserverpb::AlarmRequest::AlarmAction action,
                                etcdserverpb::AlarmType type, uint64_t member = 1) {
  regentpb::InternalRequest r;
  r.mutable_alarm()->set_action(action);
  r.mutable_alarm()->set_alarm(type);
  r.mutable_alarm()->set_memberid(member);
  return r;
}

// The outcome of one write, proposed and settled.
Expected<WriteResponse, Failure> write(NodeCore& core, regentpb::InternalRequest request, Time now,
                                       const std::function<int()>& settle) {
  std::optional<Expected<WriteResponse, Failure>> got;
  core.propose(
      std::move(request), [&](Expected<WriteResponse, Failure> r) { got = std::move(r); }, now);
  settle();
  EXPECT_TRUE(got.has_value()) << "never answered";
  return got ? std::move(*got) : unexpected(Failure{});
}

class QuotaTest : public NodeCoreTest {
 protected:
  void SetUp() override { boot(0, 16 << 10); }
  Expected<WriteResponse, Failure> write(regentpb::InternalRequest request) {
    return server::write(*core_, std::move(request), now_, [this] { return settle(); });
  }
};

TEST_F(QuotaTest, AWriteBeyondTheQuotaIsRefusedAndRaisesNospaceForEveryLaterWrite) {
  std::optional<Failure> refused;
  int accepted = 0;
  for (int i = 0; i < 40 && !refused; ++i) {  // 40 KiB: far beyond the 16 KiB quota.
    auto r = write(put("k" + std::to_string(i), std::string(1024, 'v')));
    if (r) ++accepted;
    if (!r) refused = r.error();
  }
  ASSERT_TRUE(refused.has_value()) << "the quota never refused";
  EXPECT_EQ(refused->code, StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused->message, "etcdserver: mvcc: database space exceeded");
  EXPECT_GE(accepted, 12) << "refused long before 16 KiB";
  EXPECT_LE(machine_.bytes_in_use(), 16u << 10);
  ASSERT_EQ(machine_.alarms().size(), 1u) << "the alarm goes through the log";
  EXPECT_EQ(machine_.alarms()[0].alarm(), etcdserverpb::NOSPACE);
  EXPECT_EQ(machine_.alarms()[0].memberid(), 1u);
  // Raised, it refuses at apply a put that would fit, and a lease grant; not a delete.
  EXPECT_FALSE(write(put("small", "v")).has_value());
  regentpb::InternalRequest grant;
  grant.mutable_lease_grant()->set_id(5);
  grant.mutable_lease_grant()->set_ttl(60);
  EXPECT_FALSE(write(grant).has_value());
  regentpb::InternalRequest del;
  del.mutable_delete_range()->set_key("k");
  del.mutable_delete_range()->set_range_end("l");
  EXPECT_TRUE(write(del).has_value());
  // Disarmed, and with room made, writes are taken again.
  auto cleared = write(alarm(etcdserverpb::AlarmRequest::DEACTIVATE, etcdserverpb::NOSPACE));
  ASSERT_TRUE(cleared.has_value());
  EXPECT_EQ(std::get<AlarmChange>(*cleared).alarms.size(), 1u);
  regentpb::InternalRequest compact;
  compact.mutable_compaction()->set_revision(machine_.revision());
  ASSERT_TRUE(write(compact).has_value());
  EXPECT_TRUE(write(put("small", "v")).has_value());
  EXPECT_TRUE(machine_.alarms().empty());
}

TEST_F(NodeCoreTest, ACorruptAlarmRefusesWritesAndTheMemberItNamesRefusesReads) {
  auto raise = [&](uint64_t member) {
    return server::write(*core_,
                         alarm(etcdserverpb::AlarmRequest::ACTIVATE, etcdserverpb::CORRUPT, member),
                         now_, [this] { return settle(); });
  };
  ASSERT_TRUE(raise(2).has_value());
  EXPECT_FALSE(core_->read_refusal().has_value()) << "another member is named";
  auto refused = server::write(*core_, put("k", "v"), now_, [this] { return settle(); });
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, StatusCode::DATA_LOSS);
  EXPECT_EQ(refused.error().message, "etcdserver: corrupt cluster");
  ASSERT_TRUE(raise(1).has_value());
  ASSERT_TRUE(core_->read_refusal().has_value());
  EXPECT_EQ(core_->read_refusal()->code, StatusCode::DATA_LOSS);
  // The alarms are state: a snapshot carries them.
  StateMachine restored;
  ASSERT_TRUE(restored.restore(machine_.image()).has_value());
  EXPECT_EQ(restored.alarms().size(), 2u);
  EXPECT_TRUE(restored.alarm_raised(etcdserverpb::CORRUPT, 1));
}

TEST_F(NodeCoreTest, DefragmentSnapshotsEverythingAppliedAndDropsTheOlderFiles) {
  for (int i = 0; i < 20; ++i) {
    core_->propose(
        put("k", std::to_string(i)), [](Expected<WriteResponse, Failure>) {}, now_);
    settle();
  }
  ASSERT_EQ(core_->snapshot_index(), 1u) << "snapshot_count 0: only a defragment takes one";
  const raft::Index applied = core_->applied();
  std::optional<Expected<void, Failure>> done;
  core_->defragment([&](Expected<void, Failure> r) { done = r; }, now_);
  settle();
  ASSERT_TRUE(done.has_value());
  ASSERT_TRUE(done->has_value()) << done->error().message;
  EXPECT_EQ(core_->snapshot_index(), applied);
  const std::vector<std::string> doomed = storage_->take_files_to_remove();
  auto ends_with = [&](std::string_view suffix) {
    return std::any_of(doomed.begin(), doomed.end(),
                       [&](const std::string& f) { return f.ends_with(suffix); });
  };
  EXPECT_TRUE(ends_with(".snap")) << "the boot snapshot is no longer kept";
  EXPECT_TRUE(ends_with(".wal")) << "the segment of the entries before the snapshot goes";
  // Nothing applied since: a second defragment has nothing to do and says so at once.
  std::optional<Expected<void, Failure>> again;
  core_->defragment([&](Expected<void, Failure> r) { again = r; }, now_);
  settle();
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->has_value());
  // A member restarted on what is left recovers the same state.
  storage_->remove_files(doomed);
  const std::string state = machine_.image();
  core_.reset();
  storage_.reset();
  auto reopened = storage::DiskStorage::open(fs_, "/data", {}, logger_);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  StateMachine restarted;
  NodeOptions o;
  o.id = 1;
  NodeCore core(o, **reopened, restarted, logger_);
  ASSERT_TRUE(core.start().has_value());
  EXPECT_EQ(restarted.image(), state);
}

TEST_F(NodeCoreTest, AfterADiskFailureStopStillAnswersEveryWaitingClient) {
  // What regentd's loop does when the disk fails: the core reports the failure as fatal, and the
  // host stops it; a client left waiting would hold the gRPC server's shutdown forever.
  int failed = 0;
  core_->propose(
      put("k", "v"), [&](Expected<WriteResponse, Failure> r) { failed += r ? 0 : 1; }, now_);
  NodeActions a = core_->take_actions();
  ASSERT_TRUE(a.sync_round.has_value());
  core_->propose(
      put("k2", "v"), [&](Expected<WriteResponse, Failure> r) { failed += r ? 0 : 1; }, now_);
  EXPECT_FALSE(core_->take_actions().sync_round.has_value()) << "queued behind the sync";
  ASSERT_TRUE(storage_->sync().has_value());
  fs_.fail_next(sim::FsOp::kWrite, ENOSPC);  // The queued round's write.
  core_->synced(*a.sync_round);
  NodeActions after = core_->take_actions();
  ASSERT_TRUE(after.fatal.has_value()) << "a failed log write must stop the member";
  for (Answer& answer : after.answers) answer();
  core_->stop(stopped());
  for (Answer& answer : core_->take_actions().answers) answer();
  EXPECT_EQ(failed, 1) << "the write whose round failed was never answered";
}

// A leader of three (node 1), its peers played by hand: what it sends is collected.
class ThreeMemberLeaderTest : public CoreUnderTest {
 protected:
  void SetUp() override {
    NodeOptions o;
    o.snapshot_count = 0;
    start_core({1, 2, 3}, o);
    // Node 2 grants the pre-vote and the vote, and acknowledges the new leader's no-op.
    for (int i = 0; i < 40 && !core_->status().is_leader; ++i) {
      core_->tick(now_ += milliseconds(100));
      for (const raft::Message& m : settle()) {
        if (m.to != 2) continue;
        if (m.type == raft::MessageType::kPreVote || m.type == raft::MessageType::kVote) {
          const auto reply = m.type == raft::MessageType::kPreVote
                                 ? raft::MessageType::kPreVoteResponse
                                 : raft::MessageType::kVoteResponse;
          core_->step({raft::Message{.type = reply, .to = 1, .from = 2, .term = m.term}});
        }
      }
    }
    ASSERT_TRUE(core_->status().is_leader);
    core_->step({raft::Message{.type = raft::MessageType::kAppendResponse,
                               .to = 1,
                               .from = 2,
                               .term = core_->status().term,
                               .index = core_->status().last_index}});
    settle();
    ASSERT_EQ(core_->status().commit, core_->status().last_index);
  }

  // Does what the core asks, syncing at once; returns the messages it sent.
  std::vector<raft::Message> settle() {
    std::vector<raft::Message> sent;
    for (int i = 0; i < 100; ++i) {
      NodeActions a = core_->take_actions();
      for (raft::Message& m : a.messages) sent.push_back(std::move(m));
      for (Answer& answer : a.answers) answer();
      if (!a.sync_round) return sent;
      EXPECT_TRUE(storage_->sync().has_value());
      core_->synced(*a.sync_round);
    }
    ADD_FAILURE() << "the core kept asking for more";
    return sent;
  }

  static std::vector<raft::Message> heartbeats_to(const std::vector<raft::Message>& sent,
                                                  raft::NodeId peer) {
    std::vector<raft::Message> out;
    for (const raft::Message& m : sent) {
      if (m.type == raft::MessageType::kHeartbeat && m.to == peer && !m.context.empty()) {
        out.push_back(m);
      }
    }
    return out;
  }

  void read(int* answered) {
    std::vector<Done> one;
    one.push_back([answered](Expected<void, Failure> r) { *answered += r.has_value() ? 1 : 0; });
    core_->read_index(std::move(one), now_);
  }
};

TEST_F(ThreeMemberLeaderTest, ReadsArrivingWhileAConfirmationRoundIsOutRideTheNextOneTogether) {
  int answered = 0;
  read(&answered);
  const auto first = heartbeats_to(settle(), 2);
  ASSERT_EQ(first.size(), 1u) << "the first read asks for one confirmation round";

  // Three more reads, one at a time, while that round is out: no round of their own.
  for (int i = 0; i < 3; ++i) {
    read(&answered);
    EXPECT_TRUE(heartbeats_to(settle(), 2).empty()) << "read " << i + 2 << " sent its own round";
  }
  EXPECT_EQ(answered, 0);

  // Node 2 confirms the first round: its read is answered, and the three held go out as one.
  core_->step({raft::Message{.type = raft::MessageType::kHeartbeatResponse,
                             .to = 1,
                             .from = 2,
                             .term = first[0].term,
                             .context = first[0].context}});
  const auto second = heartbeats_to(settle(), 2);
  EXPECT_EQ(answered, 1);
  ASSERT_EQ(second.size(), 1u) << "the held reads share one round";
  EXPECT_NE(second[0].context, first[0].context);
  core_->step({raft::Message{.type = raft::MessageType::kHeartbeatResponse,
                             .to = 1,
                             .from = 2,
                             .term = second[0].term,
                             .context = second[0].context}});
  settle();
  EXPECT_EQ(answered, 4);
}

TEST_F(ThreeMemberLeaderTest, AConfirmationRoundLostHoldsTheNextReadsOnlyOneTick) {
  int answered = 0;
  read(&answered);
  ASSERT_EQ(heartbeats_to(settle(), 2).size(), 1u);
  read(&answered);
  EXPECT_TRUE(heartbeats_to(settle(), 2).empty());
  // No answer comes (the heartbeat was lost); at the next tick the held read goes out anew.
  core_->tick(now_ += milliseconds(100));
  EXPECT_FALSE(heartbeats_to(settle(), 2).empty()) << "the held read waits for its timeout";
}

TEST(NodeCoreImageTest, AnImageIsTakenAtTheIndexItClaimsBeforeAnythingElseIsApplied) {
  sim::SimFs fs;
  NullLogger logger;
  auto opened = storage::DiskStorage::open(fs, "/data", {}, logger);
  ASSERT_TRUE(opened.has_value());
  std::unique_ptr<storage::DiskStorage> storage = std::move(*opened);
  raft::Snapshot boot;
  boot.metadata = {.conf_state = {.voters = {1}}, .index = 1, .term = 1};
  boot.data = StateMachine().image();
  ASSERT_TRUE(storage->save({}, raft::HardState{.term = 1, .commit = 1}, boot).has_value());
  StateMachine machine;
  NodeOptions o;
  o.id = 1;
  o.snapshot_count = 2;
  o.seed = 3;
  NodeCore core(o, *storage, machine, logger);
  ASSERT_TRUE(core.start().has_value());
  Time now{};
  std::optional<NodeActions::Image> image;
  for (int i = 0; i < 200 && !image; ++i) {
    if (i % 5 == 0) core.tick(now += milliseconds(100));
    // Several writes at a time, so that more is committed than the image's index when the core
    // asks for it: it must stop there until the image is taken.
    for (int w = 0; w < 5 && core.status().is_leader; ++w) {
      core.propose(
          put("k", std::to_string(i)), [](auto) {}, now);
    }
    NodeActions a = core.take_actions();
    for (Answer& answer : a.answers) answer();
    if (a.image) {
      image = a.image;
      break;  // The host takes it now, before its next call into the core.
    }
    if (a.sync_round) {
      ASSERT_TRUE(storage->sync().has_value());
      core.synced(*a.sync_round);
    }
  }
  ASSERT_TRUE(image.has_value()) << "no image asked for after snapshot_count entries";
  EXPECT_EQ(image->index, core.applied()) << "applied past the image before it was taken";
  EXPECT_LT(core.applied(), core.status().commit) << "nothing more was committed: a weak test";
  const std::string taken = machine.image();
  core.image_taken(image->index, write_image(*storage, machine, *image));
  EXPECT_EQ(core.snapshot_index(), image->index);
  // Storage holds the image in its file only, and a member restarted on it restores from there.
  EXPECT_TRUE(storage->snapshot()->data.empty());
  EXPECT_EQ(storage->read_snapshot(image->metadata)->data, taken);
  StateMachine restarted;
  NodeCore again(o, *storage, restarted, logger);
  ASSERT_TRUE(again.start().has_value());
  EXPECT_EQ(again.applied(), image->index);
  EXPECT_EQ(restarted.image(), taken);
}

}  // namespace
}  // namespace regent::server
