// The leader change log alone, fed as the loop and the transport feed it: each cause it may
// name, from the evidence that justifies it, and "unknown" when there is none; the gap to the
// next leader recorded under the loss's cause, and none when no leaderless moment was seen.
#include "server/host/leader_change_log.h"

#include <gtest/gtest.h>

namespace regent::server {
namespace {

using namespace std::chrono_literals;

constexpr raft::NodeId kSelf = 1;
constexpr raft::NodeId kOther = 2;
constexpr raft::NodeId kThird = 3;
const LeaderChangeLog::SteadyClock::time_point kT0{};

raft::Message message(raft::MessageType type, raft::NodeId from, raft::Term term,
                      std::string context = "") {
  return raft::Message{
      .type = type, .to = kSelf, .from = from, .term = term, .context = std::move(context)};
}

// What happens between the first leader (kOther, or this member, in term 2) and its loss.
struct Case {
  const char* name;
  raft::NodeId first_leader;
  std::function<void(LeaderChangeLog&)> evidence;
  raft::Term term_at_loss;
  const char* cause;
  const char* detail_has;
};

TEST(LeaderChangeLogTest, EachCauseFromItsEvidenceAndTheGapUnderIt) {
  const std::vector<Case> cases = {
      {"own election timer, same term", kOther, [](LeaderChangeLog&) {}, 2, "election_timeout",
       "no heartbeat"},
      {"leader's process gone", kOther, [](LeaderChangeLog& l) { l.note_peer_down(kOther); }, 2,
       "leader_process_gone", "connection refused"},
      {"another peer gone is no evidence", kOther,
       [](LeaderChangeLog& l) { l.note_peer_down(kThird); }, 2, "election_timeout", "timeout"},
      {"this leader lost its quorum", kSelf, [](LeaderChangeLog&) {}, 2, "lost_quorum",
       "lost quorum"},
      {"transfer target", kOther,
       [](LeaderChangeLog& l) {
         l.note_received({message(raft::MessageType::kTimeoutNow, kOther, 2)});
       },
       3, "transfer", "transfer"},
      {"a transfer's campaign", kOther,
       [](LeaderChangeLog& l) {
         l.note_received(
             {message(raft::MessageType::kVote, kThird, 3, std::string(raft::kCampaignTransfer))});
       },
       3, "transfer", "transfer"},
      {"a transfer outranks a dead peer", kOther,
       [](LeaderChangeLog& l) {
         l.note_peer_down(kOther);
         l.note_received(
             {message(raft::MessageType::kVote, kThird, 3, std::string(raft::kCampaignTransfer))});
       },
       3, "transfer", "transfer"},
      {"someone else's election", kOther,
       [](LeaderChangeLog& l) { l.note_received({message(raft::MessageType::kVote, kThird, 3)}); },
       3, "unknown", "member 3 called an election in term 3"},
      {"a deposed leader", kSelf,
       [](LeaderChangeLog& l) { l.note_received({message(raft::MessageType::kVote, kThird, 3)}); },
       3, "unknown", "higher term"},
      {"a pre-vote granted while following", kOther,
       [](LeaderChangeLog& l) {
         l.note_sent({message(raft::MessageType::kPreVoteResponse, kSelf, 3)});
         l.note_received({message(raft::MessageType::kVote, kThird, 3)});
       },
       3, "election_timeout", "pre-vote granted: member 3 called an election in term 3"},
      {"a pre-vote refused is no evidence", kOther,
       [](LeaderChangeLog& l) {
         raft::Message refused = message(raft::MessageType::kPreVoteResponse, kSelf, 3);
         refused.reject = true;
         l.note_sent({refused});
       },
       3, "unknown", "unknown"},
      {"nothing known", kOther, [](LeaderChangeLog&) {}, 3, "unknown", "unknown"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LeaderChangeLog log(kSelf);
    log.on_leader_at(c.first_leader, 2, kT0);
    c.evidence(log);
    log.on_leader_at(raft::kNone, c.term_at_loss, kT0 + 1s);
    log.on_leader_at(kThird, c.term_at_loss + 1, kT0 + 1500ms);

    const std::vector<LeaderChangeLog::Change> h = log.history();
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h[0].cause, "started");
    EXPECT_EQ(h[0].leader, c.first_leader);
    EXPECT_EQ(h[1].leader, raft::kNone);
    EXPECT_EQ(h[1].previous, c.first_leader);
    EXPECT_EQ(h[1].cause, c.cause);
    EXPECT_NE(h[1].detail.find(c.detail_has), std::string::npos) << h[1].detail;
    EXPECT_EQ(h[2].leader, kThird);
    EXPECT_EQ(h[2].previous, c.first_leader);
    EXPECT_EQ(h[2].cause, c.cause);
    ASSERT_TRUE(h[2].elected_after_seconds.has_value());
    EXPECT_DOUBLE_EQ(*h[2].elected_after_seconds, 0.5);

    const auto gaps = log.gaps();
    ASSERT_EQ(gaps.size(), 1u);
    EXPECT_EQ(gaps[0].first, c.cause);
    EXPECT_EQ(gaps[0].second->bucket(LatencyHistogram::kBuckets), 0u);  // 0.5 s: not +Inf.
    EXPECT_DOUBLE_EQ(gaps[0].second->sum_seconds(), 0.5);
  }
}

TEST(LeaderChangeLogTest, EvidenceIsForgottenOnceANewLeaderIsKnown) {
  LeaderChangeLog log(kSelf);
  log.on_leader_at(kOther, 2, kT0);
  log.note_received({message(raft::MessageType::kTimeoutNow, kOther, 2)});
  log.note_peer_down(kThird);
  log.on_leader_at(kThird, 3, kT0 + 1s);  // Replaced without a leaderless moment here.
  log.on_leader_at(raft::kNone, 3, kT0 + 2s);
  const auto h = log.history();
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[1].cause, "transfer");
  EXPECT_FALSE(h[1].elected_after_seconds.has_value());  // No gap seen, none recorded.
  EXPECT_EQ(h[2].cause, "election_timeout");             // Neither the transfer nor kThird's death.
  EXPECT_TRUE(log.gaps().empty());
}

TEST(LeaderChangeLogTest, ALateReportOfTheLeadersDeathNamesTheCause) {
  LeaderChangeLog log(kSelf);
  log.on_leader_at(kOther, 2, kT0);
  log.note_received({message(raft::MessageType::kVote, kThird, 3)});
  log.on_leader_at(raft::kNone, 3, kT0 + 1s);
  EXPECT_EQ(log.history().back().cause, "unknown");
  log.note_peer_down(kOther);
  EXPECT_EQ(log.history().back().cause, "leader_process_gone");
  log.on_leader_at(kThird, 3, kT0 + 2s);
  EXPECT_EQ(log.history().back().cause, "leader_process_gone");
  ASSERT_EQ(log.gaps().size(), 1u);
  EXPECT_EQ(log.gaps()[0].first, "leader_process_gone");
}

TEST(LeaderChangeLogTest, AQuorumLostIsNotOverwrittenByALaterDeathReport) {
  LeaderChangeLog log(kSelf);
  log.on_leader_at(kSelf, 2, kT0);
  log.on_leader_at(raft::kNone, 2, kT0 + 1s);
  log.note_peer_down(kSelf);  // Cannot happen for oneself; stands for any stronger cause.
  EXPECT_EQ(log.history().back().cause, "lost_quorum");
}

TEST(LeaderChangeLogTest, TheHistoryIsBounded) {
  LeaderChangeLog log(kSelf);
  for (raft::Term t = 1; t <= 3 * LeaderChangeLog::kHistory; ++t) {
    log.on_leader_at(t % 2 ? kOther : raft::kNone, t, kT0 + std::chrono::seconds(t));
  }
  const auto h = log.history();
  ASSERT_EQ(h.size(), LeaderChangeLog::kHistory);
  EXPECT_EQ(h.back().term, 3 * LeaderChangeLog::kHistory);
}

}  // namespace
}  // namespace regent::server
