// The node core's membership changes (node_core_members.cc) in a one-voter cluster over the real
// storage on a simulated disk: a change is one entry that changes the member table and the Raft
// configuration together, answered once applied with the table after it; refusals answer at once
// and change nothing; observers hear the table and this member's own removal.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <variant>

#include "common/logger.h"
#include "server/node/node_core.h"
#include "sim/sim_fs.h"

namespace regent::server {
namespace {

using std::chrono::milliseconds;
using MC = regentpb::MemberChange;

regentpb::Member record(uint64_t id, const std::string& url, bool learner = false) {
  regentpb::Member m;
  m.set_id(id);
  m.add_peer_urls(url);
  m.set_is_learner(learner);
  return m;
}

MC change(MC::Kind kind, regentpb::Member m) {
  MC c;
  c.set_kind(kind);
  *c.mutable_member() = std::move(m);
  return c;
}

class Watcher final : public NodeObserver {
 public:
  void on_members(const std::vector<regentpb::Member>& members) override { last = members; }
  void on_removed(raft::Index index) override { removed_at = index; }
  std::vector<regentpb::Member> last;
  std::optional<raft::Index> removed_at;
};

class NodeCoreMembersTest : public ::testing::Test {
 protected:
  void boot(bool strict) {
    auto opened = storage::DiskStorage::open(fs_, "/data", {}, logger_);
    ASSERT_TRUE(opened.has_value());
    storage_ = std::move(*opened);
    raft::Snapshot boot;
    boot.metadata = {.conf_state = {.voters = {1}}, .index = 1, .term = 1};
    boot.data = StateMachine({record(1, "http://a:1")}).image();
    ASSERT_TRUE(storage_->save({}, raft::HardState{.term = 1, .commit = 1}, boot).has_value());
    NodeOptions o;
    o.id = 1;
    o.snapshot_count = 0;
    o.seed = 3;
    o.strict_reconfig_check = strict;
    core_ = std::make_unique<NodeCore>(o, *storage_, machine_, logger_);
    core_->add_observer(watcher_);
    ASSERT_TRUE(core_->start().has_value());
    for (int i = 0; i < 40 && !core_->status().is_leader; ++i) {
      core_->tick(now_ += milliseconds(100));
      settle();
    }
    ASSERT_TRUE(core_->status().is_leader);
  }

  void settle() {
    for (int i = 0; i < 100; ++i) {
      NodeActions a = core_->take_actions();
      for (Answer& answer : a.answers) answer();
      ASSERT_FALSE(a.fatal.has_value());
      if (!a.sync_round) return;
      ASSERT_TRUE(storage_->sync().has_value());
      core_->synced(*a.sync_round);
      core_->check_invariants();
    }
    FAIL() << "the core kept asking for more";
  }

  // Proposes and settles; the answer.
  Expected<WriteResponse, Failure> propose(MC c) {
    std::optional<Expected<WriteResponse, Failure>> got;
    core_->propose_member_change(
        std::move(c), [&](Expected<WriteResponse, Failure> r) { got = std::move(r); }, now_);
    settle();
    EXPECT_TRUE(got.has_value()) << "never answered";
    return got ? std::move(*got) : Expected<WriteResponse, Failure>(unexpected(Failure{}));
  }

  sim::SimFs fs_;
  NullLogger logger_;
  std::unique_ptr<storage::DiskStorage> storage_;
  StateMachine machine_;
  Watcher watcher_;
  std::unique_ptr<NodeCore> core_;
  Time now_{};
};

TEST_F(NodeCoreMembersTest, AddingALearnerChangesTableAndConfigurationAtOneIndex) {
  boot(true);
  auto got = propose(change(MC::ADD, record(2, "http://b:1", true)));
  ASSERT_TRUE(got.has_value()) << got.error().message;
  const auto& answer = std::get<MemberChangeResponse>(*got);
  EXPECT_EQ(answer.member.id(), 2u);
  ASSERT_EQ(answer.members.size(), 2u);
  EXPECT_TRUE(answer.members[1].is_learner());
  EXPECT_EQ(machine_.members().size(), 2u);
  EXPECT_TRUE(core_->raft().tracker().config.learners.contains(2));
  EXPECT_EQ(watcher_.last.size(), 2u);

  // It has nothing yet: not in sync.
  auto promote = propose(change(MC::PROMOTE, record(2, "")));
  ASSERT_FALSE(promote.has_value());
  EXPECT_EQ(promote.error().message,
            "etcdserver: can only promote a learner member which is in sync with leader");
  EXPECT_EQ(machine_.members().size(), 2u) << "a refusal changed the table";

  auto removed = propose(change(MC::REMOVE, record(2, "")));
  ASSERT_TRUE(removed.has_value()) << removed.error().message;
  EXPECT_EQ(std::get<MemberChangeResponse>(*removed).members.size(), 1u);
  EXPECT_FALSE(core_->raft().tracker().config.learners.contains(2));
  EXPECT_FALSE(watcher_.removed_at.has_value());
}

TEST_F(NodeCoreMembersTest, RefusalsAnswerAtOnceWithEtcdsErrors) {
  boot(true);
  auto unknown = propose(change(MC::REMOVE, record(9, "")));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, StatusCode::NOT_FOUND);
  EXPECT_EQ(unknown.error().message, "etcdserver: member not found");
  auto taken = propose(change(MC::ADD, record(9, "http://a:1")));
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().message, "etcdserver: Peer URLs already exists");
  auto voter = propose(change(MC::PROMOTE, record(1, "")));
  ASSERT_FALSE(voter.has_value());
  EXPECT_EQ(voter.error().message, "etcdserver: can only promote a learner member");
  EXPECT_EQ(machine_.members().size(), 1u);
}

TEST_F(NodeCoreMembersTest, UpdateChangesPeerUrlsOnlyAndTheLastVoterStays) {
  boot(false);
  auto updated = propose(change(MC::UPDATE, record(1, "http://a:2")));
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(machine_.members()[0].peer_urls(0), "http://a:2");
  EXPECT_TRUE(core_->raft().tracker().config.voters.contains(1));
  // Not strict, yet Raft itself refuses a configuration without voters: nothing changes.
  // (A member's own removal, reported through on_removed, is in tests/e2e/test_membership.py.)
  auto removed = propose(change(MC::REMOVE, record(1, "")));
  ASSERT_FALSE(removed.has_value());
  EXPECT_EQ(removed.error().code, StatusCode::FAILED_PRECONDITION);
  EXPECT_FALSE(watcher_.removed_at.has_value());
  EXPECT_EQ(machine_.members().size(), 1u);
}

}  // namespace
}  // namespace regent::server
