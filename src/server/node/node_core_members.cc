// The node core's membership changes (node_core.h): proposing one for the Cluster API, applying
// a committed one, and what the leader knows of its followers' liveness for the checks.
//
// A change that alters the Raft configuration (add, remove, promote) is one kConfChange entry
// whose context carries the InternalRequest with the member's record: every member applies the
// member table's change and the configuration's at the same index, or, if the table refuses it
// by then (member_table.h), neither. A peer URL update is an ordinary entry. Either way the
// proposing member's client is answered with the table after the change, once applied.
#include <fmt/format.h>

#include "server/node/member_table.h"
#include "server/node/node_core.h"
#include "server/node/reconfig_checks.h"

namespace regent::server {

namespace {

Failure from_conf_change_error(raft::Error e) {
  if (e == raft::Error::kConfChangePending) {
    // etcd's raft drops such a proposal and its client times out; saying so is kinder.
    return Failure{StatusCode::FAILED_PRECONDITION,
                   "etcdserver: another membership change is not applied yet; retry"};
  }
  if (e == raft::Error::kNotLeader || e == raft::Error::kNoLeader) return not_leader();
  if (e == raft::Error::kTooManyUncommitted) return too_many_requests();
  if (e == raft::Error::kTransferInProgress) return leader_changed();
  return Failure{StatusCode::FAILED_PRECONDITION,
                 fmt::format("etcdserver: membership change refused: {}", raft::to_string(e))};
}

const char* kind_name(regentpb::MemberChange::Kind k) {
  switch (k) {
    case regentpb::MemberChange::ADD:
      return "added";
    case regentpb::MemberChange::REMOVE:
      return "removed";
    case regentpb::MemberChange::PROMOTE:
      return "promoted";
    case regentpb::MemberChange::UPDATE:
      return "updated";
    default:
      return "changed";
  }
}

}  // namespace

void NodeCore::propose_member_change(regentpb::MemberChange change, WriteDone done, Time now) {
  if (stopped_) return;
  now_ = now;
  auto refuse = [&](Failure f) {
    actions_.answers.push_back([d = std::move(done), f] { d(unexpected(f)); });
  };
  // The checks need the leader's view of its followers: the host forwards to the leader.
  if (raw_->raft().role() != raft::Role::kLeader) return refuse(not_leader());
  if (auto allowed = check_member_change(machine_.members(), change); !allowed) {
    return refuse(allowed.error());
  }
  const raft::Raft& r = raw_->raft();
  LeaderView view;
  view.voters = conf_state_.voters;
  view.learners = conf_state_.learners;
  view.leader_last_index = r.log().last_index();
  view.active.insert(options_.id);
  const Time since = now - options_.election_ticks * options_.tick;
  for (const auto& [id, progress] : r.tracker().progress) {
    view.match[id] = progress.match;
    auto seen = last_active_.find(id);
    if (progress.recent_active || (seen != last_active_.end() && seen->second >= since)) {
      view.active.insert(id);
    }
  }
  if (auto ready = check_reconfig(view, change, options_.strict_reconfig_check); !ready) {
    return refuse(ready.error());
  }

  regentpb::InternalRequest request;
  *request.mutable_member_change() = std::move(change);
  const uint64_t id = next_id();
  request.mutable_header()->set_id(id);
  request.mutable_header()->set_member(options_.id);
  raft::Error e = raft::Error::kOk;
  if (auto cc = raft_change_of(request.member_change())) {
    cc->context = request.SerializeAsString();
    e = raw_->propose_conf_change(*cc);
  } else {
    e = raw_->propose(request.SerializeAsString());
  }
  if (e != raft::Error::kOk) return refuse(from_conf_change_error(e));
  waiters_.emplace(id, Waiter{std::move(done), now + options_.request_timeout});
}

void NodeCore::apply_conf_entry(const raft::Entry& e) {
  auto cc = raft::decode_conf_change(e.data);
  if (!cc) {
    logger_.error("committed membership change at index {} cannot be decoded", e.index);
    return;
  }
  if (cc->context.empty()) {
    // No member record: the simulator's churn, or leaving a joint configuration.
    conf_state_ = raw_->apply_conf_change(*cc);
    config_changed_at_ = e.index;
    return;
  }
  regentpb::InternalRequest request;
  if (!request.ParseFromString(cc->context) || !request.has_member_change()) {
    // Every member fails the same bytes, so skipping keeps them equal; it means a bug.
    logger_.error("committed membership change at index {} carries no member record; skipped",
                  e.index);
    return;
  }
  apply_member_change(request, e.index, &*cc);
}

void NodeCore::apply_member_change(const regentpb::InternalRequest& request, raft::Index index,
                                   const raft::ConfChange* cc) {
  const regentpb::MemberChange& change = request.member_change();
  auto result = machine_.apply_member_change(change);
  if (result) {
    if (cc) {
      conf_state_ = raw_->apply_conf_change(*cc);
      config_changed_at_ = index;
    }
    logger_.info("membership: member {:x} {} at index {} ({} members)", change.member().id(),
                 kind_name(change.kind()), index, result->members.size());
    announce_members();
    if (change.kind() == regentpb::MemberChange::REMOVE && change.member().id() == options_.id &&
        !removed_) {
      removed_ = true;
      logger_.warn("this member ({:x}) was removed from the cluster at index {}", options_.id,
                   index);
      for (NodeObserver* o : observers_) o->on_removed(index);
    }
  } else {
    logger_.warn("membership change at index {} refused: {}", index, result.error().message);
  }
  if (request.header().member() != options_.id) return;
  auto node = waiters_.extract(request.header().id());
  if (node.empty()) return;
  Expected<WriteResponse, Failure> answer =
      result ? Expected<WriteResponse, Failure>(WriteResponse{std::move(*result)})
             : Expected<WriteResponse, Failure>(unexpected(result.error()));
  actions_.answers.push_back([done = std::move(node.mapped().done),
                              answer = std::move(answer)]() mutable { done(std::move(answer)); });
}

void NodeCore::note_active(Time now) {
  if (raw_->raft().role() != raft::Role::kLeader) {
    last_active_.clear();
    return;
  }
  // Raft's check-quorum clears recent_active every election timeout; remembering when each
  // follower was last seen so keeps a check made just after a clearing from seeing nobody.
  for (const auto& [id, progress] : raw_->raft().tracker().progress) {
    if (progress.recent_active) last_active_[id] = now;
  }
}

void NodeCore::announce_members() {
  if (observers_.empty()) return;
  const std::vector<regentpb::Member> members = machine_.members();
  for (NodeObserver* o : observers_) o->on_members(members);
}

}  // namespace regent::server
