// Membership changes (§4): applying committed changes to the tracker, stepping down when removed,
// and leaving a joint configuration on our own when it was entered with auto-leave.
#include "common/assert.h"
#include "raft/confchange/changer.h"
#include "raft/raft.h"

namespace regent::raft {

ConfState Raft::apply_conf_change(const ConfChange& cc) {
  confchange::Changer changer(trk_, log_.last_index());
  bool auto_leave = false;
  confchange::Result outcome = cc.leave_joint() ? changer.leave_joint()
                               : cc.enter_joint(&auto_leave)
                                   ? changer.enter_joint(auto_leave, cc.changes)
                                   : changer.simple(cc.changes);
  REGENT_ASSERT(outcome.has_value(), "{:x} committed configuration change does not apply: {}", id_,
                outcome.has_value() ? "" : outcome.error());
  return switch_to_config(*outcome);
}

ConfState Raft::switch_to_config(const confchange::Outcome& outcome) {
  trk_.config = outcome.config;
  trk_.progress = outcome.progress;
  logger_->info("{:x} switched to configuration {}", id_, trk_.config.describe());
  const ConfState cs = trk_.conf_state();
  auto self = trk_.progress.find(id_);
  const bool still_voter = self != trk_.progress.end() && !self->second.is_learner;

  if (role_ == Role::kLeader && !still_voter) {
    // Removed or demoted: a leader that is not a voter must not keep deciding for the cluster.
    logger_->info("{:x} steps down: no longer a voter", id_);
    become_follower(term_, kNone);
    return cs;
  }
  if (role_ != Role::kLeader || cs.voters.empty()) return cs;

  // The quorum changed, so the commit index may move; otherwise probe new members at once
  // rather than letting them wait for the next heartbeat.
  if (maybe_commit()) {
    release_pending_reads();
    bcast_append();
  } else {
    trk_.visit([&](NodeId id, tracker::Progress&) {
      if (id != id_) maybe_send_append(id, false);
    });
  }
  if (lead_transferee_ != kNone && !trk_.config.voters.contains(lead_transferee_)) {
    abort_leader_transfer();
  }
  return cs;
}

void Raft::maybe_auto_leave_joint() {
  if (role_ != Role::kLeader || !trk_.config.auto_leave || !trk_.config.voters.joint()) return;
  if (log_.applied() < pending_conf_index_) return;
  std::vector<Entry> leave{
      Entry{.type = EntryType::kConfChange, .data = encode_conf_change(ConfChange{})}};
  const Error e = append_proposal(std::move(leave), id_);
  if (e != Error::kOk) {
    // Tried again after the next apply.
    logger_->info("{:x} could not yet leave the joint configuration: {}", id_, to_string(e));
    return;
  }
  logger_->info("{:x} proposed leaving the joint configuration", id_);
}

}  // namespace regent::raft
