#include "raft/tracker/progress_tracker.h"

#include "common/assert.h"

namespace regent::raft::tracker {

std::string Config::describe() const {
  std::string out = "voters=" + voters.describe();
  if (!learners.empty()) out += " learners=" + quorum::MajorityConfig(learners).describe();
  if (!learners_next.empty()) {
    out += " learners_next=" + quorum::MajorityConfig(learners_next).describe();
  }
  if (auto_leave) out += " autoleave";
  return out;
}

ProgressTracker::ProgressTracker(size_t max_inflight, uint64_t max_inflight_bytes)
    : max_inflight_(max_inflight), max_inflight_bytes_(max_inflight_bytes) {
  REGENT_ASSERT(max_inflight_ > 0, "max_inflight must be positive");
}

ConfState ProgressTracker::conf_state() const {
  ConfState cs;
  cs.voters = config.voters.incoming.ids();
  cs.voters_outgoing = config.voters.outgoing.ids();
  cs.learners = config.learners;
  cs.learners_next = config.learners_next;
  cs.auto_leave = config.auto_leave;
  return cs;
}

bool ProgressTracker::is_singleton() const {
  return config.voters.incoming.size() == 1 && !config.voters.joint();
}

Index ProgressTracker::committed() const {
  return config.voters.committed_index([this](NodeId id) -> std::optional<Index> {
    auto it = progress.find(id);
    if (it == progress.end()) return std::nullopt;
    // A follower catching up after a lost log holds nothing it may be counted for yet.
    return it->second.lost_log_until > 0 ? 0 : it->second.match;
  });
}

bool ProgressTracker::quorum_active(NodeId self) const {
  // The leader does not answer itself, so its own recent_active says nothing; it is alive.
  std::map<NodeId, bool> active;
  for (NodeId id : config.voters.ids()) {
    auto it = progress.find(id);
    if (id == self) {
      active[id] = true;
    } else if (it != progress.end()) {
      active[id] = it->second.recent_active;
    }
  }
  return config.voters.vote_result(active) == quorum::VoteResult::kWon;
}

std::vector<NodeId> ProgressTracker::voter_nodes() const {
  const std::set<NodeId> ids = config.voters.ids();
  return std::vector<NodeId>(ids.begin(), ids.end());
}

std::vector<NodeId> ProgressTracker::learner_nodes() const {
  return std::vector<NodeId>(config.learners.begin(), config.learners.end());
}

void ProgressTracker::visit(const std::function<void(NodeId, Progress&)>& f) {
  for (auto& [id, pr] : progress) f(id, pr);
}

void ProgressTracker::reset_votes() { votes_.clear(); }

void ProgressTracker::record_vote(NodeId id, bool granted) {
  // A member votes once per term; a duplicate (or changed) answer must not flip the tally.
  votes_.try_emplace(id, granted);
}

ProgressTracker::Tally ProgressTracker::tally_votes() const {
  Tally tally;
  // Only voters count; a vote recorded from a learner or a stranger is ignored.
  for (NodeId id : config.voters.ids()) {
    auto it = votes_.find(id);
    if (it == votes_.end()) continue;
    if (it->second) {
      ++tally.granted;
    } else {
      ++tally.rejected;
    }
  }
  tally.result = config.voters.vote_result(votes_);
  return tally;
}

}  // namespace regent::raft::tracker
