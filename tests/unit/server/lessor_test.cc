// The lessor alone, with a real state machine, a recorded proposer and explicit times: the
// leader's deadlines (grace on promotion, none for a lease granted later), renewals, revokes
// proposed once per retry interval, checkpoints down and back up, and stepping down.
#include "server/lease/lessor.h"

#include <gtest/gtest.h>

namespace regent::server {
namespace {

using namespace std::chrono_literals;
using Clock = Lessor::Clock;

constexpr raft::NodeId kSelf = 1;

class LessorTest : public ::testing::Test {
 protected:
  LessorTest() {
    options_.election_timeout = 1s;
    options_.checkpoint_interval = 5s;
    options_.revoke_retry = 7s;
  }

  Lessor& lessor() {
    if (!lessor_) {
      lessor_ = std::make_unique<Lessor>(
          options_, machine_, [this](regentpb::InternalRequest r) { proposed_.push_back(r); });
    }
    return *lessor_;
  }

  void apply(const regentpb::InternalRequest& r) { ASSERT_TRUE(machine_.apply(r).has_value()); }
  void grant(int64_t id, int64_t ttl) {
    regentpb::InternalRequest r;
    r.mutable_lease_grant()->set_id(id);
    r.mutable_lease_grant()->set_ttl(ttl);
    apply(r);
  }
  void checkpoint(int64_t id, int64_t remaining) {
    regentpb::InternalRequest r;
    auto* c = r.mutable_lease_checkpoint()->add_checkpoints();
    c->set_id(id);
    c->set_remaining_ttl(remaining);
    apply(r);
  }
  // Applies what the lessor proposed (as the log would) and returns it.
  std::vector<regentpb::InternalRequest> commit() {
    auto out = std::move(proposed_);
    proposed_.clear();
    for (const auto& r : out) machine_.apply(r);
    return out;
  }
  std::vector<int64_t> revoked(const std::vector<regentpb::InternalRequest>& rs) {
    std::vector<int64_t> ids;
    for (const auto& r : rs) {
      if (r.has_lease_revoke()) ids.push_back(r.lease_revoke().id());
    }
    return ids;
  }
  std::vector<std::pair<int64_t, int64_t>> checkpoints(
      const std::vector<regentpb::InternalRequest>& rs) {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const auto& r : rs) {
      for (const auto& c : r.lease_checkpoint().checkpoints()) {
        out.emplace_back(c.id(), c.remaining_ttl());
      }
    }
    return out;
  }
  // The TTL a renewal answers; -2 if it failed.
  int64_t renew(int64_t id, Clock::time_point now) {
    auto r = lessor().renew(id, now);
    return r ? *r : -2;
  }
  int64_t ttl_left(int64_t id, Clock::time_point now) {
    auto r = lessor().time_to_live(id, false, now);
    EXPECT_TRUE(r.has_value());
    return r ? r->ttl : -2;
  }

  LessorOptions options_;
  StateMachine machine_;
  std::vector<regentpb::InternalRequest> proposed_;
  std::unique_ptr<Lessor> lessor_;
  const Clock::time_point t0_ = Clock::now();
};

TEST_F(LessorTest, AFollowerKeepsNoDeadlinesAndProposesNothing) {
  grant(7, 2);
  lessor().on_leader(2, false, 3);
  EXPECT_EQ(lessor().renew(7, t0_).error().message, "etcdserver: not leader");
  EXPECT_FALSE(lessor().time_to_live(7, true, t0_).has_value());
  lessor().on_tick(t0_ + 1h);
  EXPECT_TRUE(proposed_.empty());
  EXPECT_FALSE(lessor().leading());
}

TEST_F(LessorTest, ANewLeaderGivesEveryLeaseItsTtlPlusTheElectionTimeout) {
  grant(7, 10);
  lessor().on_leader(kSelf, true, 2);
  lessor().on_tick(t0_);
  EXPECT_EQ(ttl_left(7, t0_), 11);
  lessor().on_tick(t0_ + 10900ms);
  EXPECT_TRUE(revoked(commit()).empty());
  // A lease granted afterwards gets its TTL only.
  grant(8, 10);
  lessor().on_tick(t0_ + 11s);
  EXPECT_EQ(revoked(commit()), std::vector<int64_t>{7});
  EXPECT_EQ(ttl_left(8, t0_ + 11s), 10);
  EXPECT_EQ(ttl_left(7, t0_ + 11s), -1);  // Revoked through the "log".
  lessor().on_tick(t0_ + 21s);
  EXPECT_EQ(revoked(commit()), std::vector<int64_t>{8});
}

TEST_F(LessorTest, ARevokeIsProposedOnceAndAgainAfterTheRetryInterval) {
  grant(7, 2);
  lessor().on_leader(kSelf, true, 2);
  lessor().on_tick(t0_);  // Deadline t0 + 3 s.
  lessor().on_tick(t0_ + 3s);
  EXPECT_EQ(revoked(proposed_), std::vector<int64_t>{7});
  proposed_.clear();  // Lost: never applied.
  lessor().on_tick(t0_ + 4s);
  lessor().on_tick(t0_ + 9900ms);
  EXPECT_TRUE(proposed_.empty());
  lessor().on_tick(t0_ + 10s);
  EXPECT_EQ(revoked(commit()), std::vector<int64_t>{7});
  lessor().on_tick(t0_ + 20s);
  EXPECT_TRUE(proposed_.empty());
}

TEST_F(LessorTest, ARenewalMovesTheDeadlineButNotOfAnExpiredOrUnknownLease) {
  grant(7, 5);
  lessor().on_leader(kSelf, true, 2);
  lessor().on_tick(t0_);  // Deadline t0 + 6 s.
  EXPECT_EQ(renew(7, t0_ + 4s), 5);
  EXPECT_EQ(ttl_left(7, t0_ + 4s), 5);
  lessor().on_tick(t0_ + 8500ms);
  EXPECT_TRUE(proposed_.empty());
  EXPECT_EQ(renew(7, t0_ + 9s), 0);  // Past t0 + 9 s: expired.
  EXPECT_EQ(renew(99, t0_ + 9s), 0);
  lessor().on_tick(t0_ + 9s);
  EXPECT_EQ(revoked(commit()), std::vector<int64_t>{7});
}

TEST_F(LessorTest, AnUnrenewedLeaseIsCheckpointedAndARenewalResetsItsCheckpoint) {
  using Pairs = std::vector<std::pair<int64_t, int64_t>>;
  lessor().on_leader(kSelf, true, 2);
  lessor().on_tick(t0_ - 1s);  // Promoted; the next checkpoint scan is at t0.
  grant(7, 20);
  lessor().on_tick(t0_);  // Deadline t0 + 20 s.
  for (auto t = 1s; t <= 4s; t += 1s) lessor().on_tick(t0_ + t);
  EXPECT_TRUE(commit().empty());  // At most 4 s below what a new leader would assume.
  lessor().on_tick(t0_ + 5s);
  EXPECT_EQ(checkpoints(commit()), (Pairs{{7, 15}}));
  for (auto t = 6s; t <= 9s; t += 1s) lessor().on_tick(t0_ + t);
  EXPECT_TRUE(commit().empty());
  lessor().on_tick(t0_ + 10s);
  EXPECT_EQ(checkpoints(commit()), (Pairs{{7, 10}}));
  // Renewed: the low record would make a new leader expire it early, so it is reset.
  EXPECT_EQ(renew(7, t0_ + 10500ms), 20);
  lessor().on_tick(t0_ + 11s);
  EXPECT_EQ(checkpoints(commit()), (Pairs{{7, 0}}));
  EXPECT_EQ(machine_.read([](const kv::Store& s) { return s.leases().find(7)->remaining_ttl; }), 0);
  // A renewal found later than a second after it is recorded as what is left.
  for (auto t = 12s; t <= 16s; t += 1s) lessor().on_tick(t0_ + t);
  EXPECT_EQ(checkpoints(commit()), (Pairs{{7, 15}}));
  EXPECT_EQ(renew(7, t0_ + 16500ms), 20);
  lessor().on_tick(t0_ + 18s);  // The 17 s scan was missed (a slow round).
  EXPECT_EQ(checkpoints(commit()), (Pairs{{7, 19}}));
}

TEST_F(LessorTest, ALeaseRenewedMoreOftenThanTheIntervalIsNeverCheckpointed) {
  lessor().on_leader(kSelf, true, 2);
  grant(7, 30);
  for (int i = 0; i <= 60; ++i) {
    const auto now = t0_ + i * 1s;
    if (i % 4 == 0) {
      EXPECT_EQ(renew(7, now), 30);
    }
    lessor().on_tick(now);
  }
  EXPECT_TRUE(commit().empty());
}

TEST_F(LessorTest, ANewLeaderStartsFromTheCheckpointNotTheFullTtl) {
  grant(7, 20);
  checkpoint(7, 4);
  lessor().on_leader(kSelf, true, 2);
  lessor().on_tick(t0_);
  EXPECT_EQ(ttl_left(7, t0_), 5);  // 4 s recorded + 1 s of grace.
  lessor().on_tick(t0_ + 4900ms);
  EXPECT_TRUE(revoked(commit()).empty());
  lessor().on_tick(t0_ + 5s);
  EXPECT_EQ(revoked(commit()), std::vector<int64_t>{7});
}

TEST_F(LessorTest, SteppingDownForgetsDeadlinesAndLosingTheLeaderEndsTheStreamsThatNeedOne) {
  grant(7, 2);
  std::vector<std::string> ended;
  const uint64_t needs = lessor().add_stream(
      true, [&](const Failure& f) { ended.push_back("needs leader: " + f.message); });
  lessor().add_stream(false, [&](const Failure& f) { ended.push_back("any: " + f.message); });
  lessor().on_leader(kSelf, true, 2);
  lessor().on_tick(t0_);
  lessor().on_leader(2, false, 3);  // Another leader: not a loss.
  EXPECT_TRUE(ended.empty());
  lessor().on_tick(t0_ + 1h);
  EXPECT_TRUE(proposed_.empty());
  EXPECT_FALSE(lessor().renew(7, t0_).has_value());
  lessor().on_leader(raft::kNone, false, 4);
  EXPECT_EQ(ended, std::vector<std::string>{"needs leader: etcdserver: no leader"});
  lessor().remove_stream(needs);
  lessor().on_leader(raft::kNone, false, 5);
  EXPECT_EQ(ended.size(), 1u);
  lessor().end_streams(stopped());
  EXPECT_EQ(ended.back(), "any: etcdserver: server stopped");
}

TEST_F(LessorTest, CheckpointsCanBeTurnedOff) {
  options_.checkpoint_interval = 0s;
  lessor().on_leader(kSelf, true, 2);
  grant(7, 20);
  for (auto t = 0s; t <= 19s; t += 1s) lessor().on_tick(t0_ + t);
  EXPECT_TRUE(commit().empty());
}

}  // namespace
}  // namespace regent::server
