#include "server/host/leader_change_log.h"

#include <fmt/format.h>

namespace regent::server {

namespace {

bool concerns_leadership(const raft::Message& m) {
  return m.type == raft::MessageType::kTimeoutNow || m.type == raft::MessageType::kVote;
}

// A leader's process found gone shortly after a new leader became known here is still the
// cause of that change: the survivors' elections race the transport's report by milliseconds.
constexpr std::chrono::seconds kLateReport{2};

// Causes judged from this member's own view, which a report of the leader's death outranks.
bool is_weak(const std::string& cause) { return cause == "unknown" || cause == "election_timeout"; }

}  // namespace

void LeaderChangeLog::on_leader(raft::NodeId leader, bool /*is_self*/, raft::Term term) {
  on_leader_at(leader, term, SteadyClock::now());
}

void LeaderChangeLog::on_leader_at(raft::NodeId leader, raft::Term term,
                                   SteadyClock::time_point now) {
  std::lock_guard lock(mu_);
  if (leader == known_leader_) {
    known_term_ = term;
    return;
  }
  Change change{.at = std::chrono::system_clock::now(), .term = term, .leader = leader};
  if (leader == raft::kNone) {
    Cause cause = classify(term);
    change.previous = known_leader_;
    change.cause = cause.label;
    change.detail = cause.detail;
    loss_ = Loss{now, known_leader_, std::move(cause)};
    push(std::move(change));
    known_leader_ = raft::kNone;
    known_term_ = term;
    return;
  }
  if (known_leader_ != raft::kNone) {
    // Replaced without a leaderless moment here: the cause is judged now, no gap is known.
    const Cause cause = classify(term);
    change.previous = known_leader_;
    change.cause = cause.label;
    change.detail = cause.detail;
  } else if (loss_) {
    const std::chrono::nanoseconds gap = now - loss_->at;
    change.previous = loss_->leader;
    change.cause = loss_->cause.label;
    change.detail = loss_->cause.detail;
    change.elected_after_seconds = std::chrono::duration<double>(gap).count();
    std::unique_ptr<LatencyHistogram>& h = gaps_[loss_->cause.label];
    if (!h) h = std::make_unique<LatencyHistogram>();
    h->record(gap);
  } else {
    change.cause = "started";
    change.detail = "the first leader this member knew since it started";
  }
  push(std::move(change));
  known_leader_ = leader;
  known_term_ = term;
  loss_.reset();
  forget_evidence();
}

LeaderChangeLog::Cause LeaderChangeLog::classify(raft::Term term) const {
  if (transfer_) return {"transfer", "leadership transfer"};
  const std::string caller = caller_ ? fmt::format(": member {:x} called an election in term {}",
                                                   caller_->first, caller_->second)
                                     : std::string();
  if (known_leader_ == self_) {
    if (term == known_term_) {
      return {"lost_quorum",
              "leader stepped down: lost quorum (no majority heard within an election timeout)"};
    }
    return {"unknown", "unknown (this leader saw a higher term" + caller + ")"};
  }
  if (down_.contains(known_leader_)) {
    return {"leader_process_gone", "leader's process gone (peer connection refused)"};
  }
  if (term == known_term_) {
    return {"election_timeout", "election timeout: no heartbeat from the leader"};
  }
  if (granted_pre_vote_) {
    return {"election_timeout",
            "election timeout: no heartbeat from the leader (a pre-vote granted" + caller + ")"};
  }
  return {"unknown", "unknown" + (caller.empty() ? std::string() : " (" + caller.substr(2) + ")")};
}

void LeaderChangeLog::note_received(const std::vector<raft::Message>& messages) {
  bool relevant = false;
  for (const raft::Message& m : messages) relevant = relevant || concerns_leadership(m);
  if (!relevant) return;
  std::lock_guard lock(mu_);
  for (const raft::Message& m : messages) {
    if (m.type == raft::MessageType::kTimeoutNow) transfer_ = true;
    if (m.type != raft::MessageType::kVote) continue;
    if (m.context == raft::kCampaignTransfer) {
      transfer_ = true;
    } else if (m.term > known_term_) {
      caller_ = std::pair(m.from, m.term);
    }
  }
}

void LeaderChangeLog::note_sent(const std::vector<raft::Message>& messages) {
  bool granted = false;
  for (const raft::Message& m : messages) {
    granted = granted || (m.type == raft::MessageType::kPreVoteResponse && !m.reject);
  }
  if (!granted) return;
  std::lock_guard lock(mu_);
  if (known_leader_ != raft::kNone && known_leader_ != self_) granted_pre_vote_ = true;
}

void LeaderChangeLog::note_peer_down(raft::NodeId peer) {
  std::lock_guard lock(mu_);
  down_.insert(peer);
  const bool pending = loss_ && loss_->leader == peer;
  const bool just_elected = !history_.empty() && history_.back().leader != raft::kNone &&
                            history_.back().previous == peer &&
                            std::chrono::system_clock::now() - history_.back().at < kLateReport;
  if (!pending && !just_elected) return;
  // The entries of this loss (the loss, then the leader after it) whose cause was a weaker one:
  // a transfer or a quorum lost is better founded and stays.
  const Cause gone{"leader_process_gone", "leader's process gone (peer connection refused)"};
  size_t seen = 0;
  for (auto it = history_.rbegin(); it != history_.rend() && seen < 2; ++it, ++seen) {
    if (it->previous != peer || !is_weak(it->cause)) break;
    it->cause = gone.label;
    it->detail = gone.detail;
  }
  if (pending && is_weak(loss_->cause.label)) loss_->cause = gone;
}

std::vector<LeaderChangeLog::Change> LeaderChangeLog::history() const {
  std::lock_guard lock(mu_);
  return {history_.begin(), history_.end()};
}

std::vector<std::pair<std::string, const LatencyHistogram*>> LeaderChangeLog::gaps() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, const LatencyHistogram*>> out;
  for (const auto& [label, h] : gaps_) out.emplace_back(label, h.get());
  return out;
}

void LeaderChangeLog::push(Change change) {
  history_.push_back(std::move(change));
  if (history_.size() > kHistory) history_.pop_front();
}

void LeaderChangeLog::forget_evidence() {
  transfer_ = false;
  down_.clear();
  caller_.reset();
  granted_pre_vote_ = false;
}

}  // namespace regent::server
