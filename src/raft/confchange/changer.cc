#include "raft/confchange/changer.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace regent::raft::confchange {

namespace {

using tracker::Config;
using tracker::Progress;
using tracker::ProgressMap;
using tracker::ProgressTracker;

using MaybeError = std::optional<std::string>;

Result fail(std::string msg) { return regent::unexpected(std::move(msg)); }

// What a newly added member's Progress is seeded from.
struct Seed {
  Index last_index;
  size_t max_inflight;
  uint64_t max_inflight_bytes;
};

// Every member has a Progress and nothing else has one.
MaybeError check_progress(const Config& cfg, const ProgressMap& trk) {
  for (const std::set<NodeId>& ids : {cfg.voters.ids(), cfg.learners, cfg.learners_next}) {
    for (NodeId id : ids) {
      if (!trk.contains(id)) return fmt::format("no progress for {}", id);
    }
  }
  for (const auto& [id, pr] : trk) {
    if (!cfg.voters.contains(id) && !cfg.learners.contains(id)) {
      return fmt::format("{} has a progress but is not a member", id);
    }
  }
  return std::nullopt;
}

// Learners and voters are disjoint, and learner flags agree with the config.
MaybeError check_learners(const Config& cfg, const ProgressMap& trk) {
  // A staged learner was staged only because it is still a voter in the outgoing half.
  for (NodeId id : cfg.learners_next) {
    if (!cfg.voters.outgoing.contains(id)) {
      return fmt::format("{} is in learners_next, but not in the outgoing voters", id);
    }
    if (trk.at(id).is_learner) {
      return fmt::format("{} is in learners_next, but is already marked as learner", id);
    }
  }
  for (NodeId id : cfg.learners) {
    if (cfg.voters.outgoing.contains(id)) {
      return fmt::format("{} is in learners and in the outgoing voters", id);
    }
    if (cfg.voters.incoming.contains(id)) {
      return fmt::format("{} is in learners and in the incoming voters", id);
    }
    if (!trk.at(id).is_learner) {
      return fmt::format("{} is in learners, but is not marked as learner", id);
    }
  }
  for (NodeId id : cfg.voters.ids()) {
    if (trk.at(id).is_learner) return fmt::format("{} is a voter, but is marked as learner", id);
  }
  return std::nullopt;
}

MaybeError check_invariants(const Config& cfg, const ProgressMap& trk) {
  // The empty config is allowed on purpose: bootstrap and tests start from it.
  if (MaybeError err = check_progress(cfg, trk)) return err;
  if (MaybeError err = check_learners(cfg, trk)) return err;
  if (!cfg.voters.joint()) {
    if (!cfg.learners_next.empty()) return "learners_next must be empty when not joint";
    if (cfg.auto_leave) return "auto_leave must be false when not joint";
  }
  return std::nullopt;
}

Result check_and_return(Outcome out) {
  if (MaybeError err = check_invariants(out.config, out.progress)) return fail(*err);
  return out;
}

// The changer works on a copy, so a refused change leaves the caller's tracker untouched.
Result check_and_copy(const ProgressTracker& t) {
  return check_and_return(Outcome{t.config, t.progress});
}

void init_progress(const Seed& seed, Outcome& out, NodeId id, bool learner) {
  if (learner) {
    out.config.learners.insert(id);
  } else {
    out.config.voters.incoming.ids().insert(id);
  }
  // Probing from the last index assumes the new member is nearly caught up; if it is not, the
  // rejection hints bring next down. Next must stay above match (0).
  Progress pr(std::max<Index>(seed.last_index, 1), seed.max_inflight, seed.max_inflight_bytes,
              learner);
  // Without this, check-quorum could count the new member as dead before it ever had a chance
  // to answer, and depose the leader.
  pr.recent_active = true;
  out.progress.insert_or_assign(id, std::move(pr));
}

// Removes id from the incoming half and from the learners. Its Progress survives while it is
// still an outgoing voter, since the outgoing majority still needs it.
void remove_member(Outcome& out, NodeId id) {
  if (!out.progress.contains(id)) return;
  out.config.voters.incoming.ids().erase(id);
  out.config.learners.erase(id);
  out.config.learners_next.erase(id);
  if (!out.config.voters.outgoing.contains(id)) out.progress.erase(id);
}

// Adds id as an incoming voter, or promotes it, keeping what the leader knows of its log.
void make_voter(const Seed& seed, Outcome& out, NodeId id) {
  auto it = out.progress.find(id);
  if (it == out.progress.end()) {
    init_progress(seed, out, id, /*learner=*/false);
    return;
  }
  it->second.is_learner = false;
  out.config.learners.erase(id);
  out.config.learners_next.erase(id);
  out.config.voters.incoming.ids().insert(id);
}

// Adds id as a learner or demotes it. A voter of the outgoing half cannot be a learner at the
// same time, so its demotion is staged in learners_next until the joint config is left.
void make_learner(const Seed& seed, Outcome& out, NodeId id) {
  auto it = out.progress.find(id);
  if (it == out.progress.end()) {
    init_progress(seed, out, id, /*learner=*/true);
    return;
  }
  if (it->second.is_learner) return;
  Progress saved = it->second;
  remove_member(out, id);
  auto pos = out.progress.insert_or_assign(id, std::move(saved)).first;
  if (out.config.voters.outgoing.contains(id)) {
    out.config.learners_next.insert(id);
  } else {
    pos->second.is_learner = true;
    out.config.learners.insert(id);
  }
}

// Applies the changes to the incoming half; the outgoing half is never edited directly.
MaybeError apply_changes(const Seed& seed, const std::vector<ConfChangeSingle>& changes,
                         Outcome& out) {
  for (const ConfChangeSingle& cc : changes) {
    // Node id 0 marks a change the application chose not to apply (as in etcd).
    if (cc.node_id == kNone) continue;
    switch (cc.type) {
      case ConfChangeType::kAddNode:
        make_voter(seed, out, cc.node_id);
        break;
      case ConfChangeType::kAddLearnerNode:
        make_learner(seed, out, cc.node_id);
        break;
      case ConfChangeType::kRemoveNode:
        remove_member(out, cc.node_id);
        break;
      default:
        return fmt::format("unexpected conf change type {}", static_cast<int>(cc.type));
    }
  }
  if (out.config.voters.incoming.empty()) return "removed all voters";
  return std::nullopt;
}

// |a \ b| + |b \ a|
size_t symmetric_difference(const std::set<NodeId>& a, const std::set<NodeId>& b) {
  size_t n = 0;
  for (NodeId id : a) n += b.contains(id) ? 0 : 1;
  for (NodeId id : b) n += a.contains(id) ? 0 : 1;
  return n;
}

Seed seed_of(const ProgressTracker& t, Index last_index) {
  return Seed{last_index, t.max_inflight(), t.max_inflight_bytes()};
}

}  // namespace

Result Changer::enter_joint(bool auto_leave, const std::vector<ConfChangeSingle>& changes) const {
  Result base = check_and_copy(tracker_);
  if (!base) return base;
  Outcome out = std::move(base).value();
  if (out.config.voters.joint()) return fail("config is already joint");
  // An empty config may be populated directly (bootstrap), but a joint config needs an old
  // majority to overlap with.
  if (out.config.voters.incoming.empty()) return fail("can't make a zero-voter config joint");
  out.config.voters.outgoing = out.config.voters.incoming;
  if (MaybeError err = apply_changes(seed_of(tracker_, last_index_), changes, out)) {
    return fail(*err);
  }
  out.config.auto_leave = auto_leave;
  return check_and_return(std::move(out));
}

Result Changer::leave_joint() const {
  Result base = check_and_copy(tracker_);
  if (!base) return base;
  Outcome out = std::move(base).value();
  if (!out.config.voters.joint()) return fail("can't leave a non-joint config");
  for (NodeId id : out.config.learners_next) {
    out.config.learners.insert(id);
    out.progress.at(id).is_learner = true;
  }
  out.config.learners_next.clear();
  for (NodeId id : out.config.voters.outgoing.ids()) {
    if (!out.config.voters.incoming.contains(id) && !out.config.learners.contains(id)) {
      out.progress.erase(id);
    }
  }
  out.config.voters.outgoing.ids().clear();
  out.config.auto_leave = false;
  return check_and_return(std::move(out));
}

Result Changer::simple(const std::vector<ConfChangeSingle>& changes) const {
  Result base = check_and_copy(tracker_);
  if (!base) return base;
  Outcome out = std::move(base).value();
  if (out.config.voters.joint()) return fail("can't apply simple config change in joint config");
  if (MaybeError err = apply_changes(seed_of(tracker_, last_index_), changes, out)) {
    return fail(*err);
  }
  // Old and new majorities overlap only if at most one voter changed.
  if (symmetric_difference(tracker_.config.voters.incoming.ids(),
                           out.config.voters.incoming.ids()) > 1) {
    return fail("more than one voter changed without entering joint config");
  }
  return check_and_return(std::move(out));
}

namespace {

// Rejects what no sequence of changes could have produced, so that restoring never silently
// yields a configuration other than the one described (replaying an "add learner" for a voter,
// say, would demote it).
MaybeError check_conf_state(const ConfState& cs) {
  if (cs.voters_outgoing.empty()) {
    if (!cs.learners_next.empty()) return "learners_next in a non-joint conf state";
    if (cs.auto_leave) return "auto_leave in a non-joint conf state";
  }
  for (NodeId id : cs.learners) {
    if (cs.voters.contains(id) || cs.voters_outgoing.contains(id)) {
      return fmt::format("{} is both a learner and a voter", id);
    }
  }
  for (NodeId id : cs.learners_next) {
    if (!cs.voters_outgoing.contains(id)) {
      return fmt::format("{} is in learners_next, but not in the outgoing voters", id);
    }
    if (cs.voters.contains(id)) {
      return fmt::format("{} is in learners_next and in the incoming voters", id);
    }
  }
  return std::nullopt;
}

// Replaces the tracker's config with a successful outcome, or reports the failure.
MaybeError adopt(ProgressTracker& t, Result r) {
  if (!r) return r.error();
  t.config = std::move(r->config);
  t.progress = std::move(r->progress);
  return std::nullopt;
}

MaybeError add_one_by_one(ProgressTracker& t, Index last_index,
                          const std::vector<ConfChangeSingle>& changes) {
  for (const ConfChangeSingle& cc : changes) {
    if (MaybeError err = adopt(t, Changer(t, last_index).simple({cc}))) return err;
  }
  return std::nullopt;
}

std::vector<ConfChangeSingle> changes_of(ConfChangeType type, const std::set<NodeId>& ids) {
  std::vector<ConfChangeSingle> out;
  for (NodeId id : ids) out.push_back(ConfChangeSingle{type, id});
  return out;
}

void append(std::vector<ConfChangeSingle>& to, const std::vector<ConfChangeSingle>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

}  // namespace

Result restore(const tracker::ProgressTracker& empty_tracker, Index last_index,
               const ConfState& cs) {
  if (!empty_tracker.progress.empty() || !(empty_tracker.config == tracker::Config{})) {
    return fail("can't restore into a non-empty tracker");
  }
  if (MaybeError err = check_conf_state(cs)) return fail(*err);
  ProgressTracker t = empty_tracker;
  if (cs.voters_outgoing.empty()) {
    std::vector<ConfChangeSingle> changes = changes_of(ConfChangeType::kAddNode, cs.voters);
    append(changes, changes_of(ConfChangeType::kAddLearnerNode, cs.learners));
    if (MaybeError err = add_one_by_one(t, last_index, changes)) return fail(*err);
    return Outcome{t.config, t.progress};
  }
  // Joint: first build the outgoing config as if it were the only one, then enter the joint
  // config with a change that removes all of it and adds the incoming voters and learners.
  // E.g. voters=(1 2 3) outgoing=(1 2 4) learners_next=(4): add 1, add 2, add 4; then
  // enter_joint(remove 1 2 4, add 1 2 3, add-learner 4) gives (1 2 3)&&(1 2 4) learners_next=(4).
  if (MaybeError err =
          add_one_by_one(t, last_index, changes_of(ConfChangeType::kAddNode, cs.voters_outgoing))) {
    return fail(*err);
  }
  std::vector<ConfChangeSingle> incoming =
      changes_of(ConfChangeType::kRemoveNode, cs.voters_outgoing);
  append(incoming, changes_of(ConfChangeType::kAddNode, cs.voters));
  append(incoming, changes_of(ConfChangeType::kAddLearnerNode, cs.learners));
  append(incoming, changes_of(ConfChangeType::kAddLearnerNode, cs.learners_next));
  if (MaybeError err = adopt(t, Changer(t, last_index).enter_joint(cs.auto_leave, incoming))) {
    return fail(*err);
  }
  return Outcome{t.config, t.progress};
}

}  // namespace regent::raft::confchange
