// Per-role message handling and the leader's duties: proposals and their size limit, ReadIndex
// (§6.4), leadership transfer (§3.10), check-quorum (§6.2), and peer status reports.
#include "common/assert.h"
#include "raft/confchange/changer.h"
#include "raft/raft.h"

namespace regent::raft {

void Raft::step_leader(const Message& m) {
  switch (m.type) {
    case MessageType::kPropose:
      if (!m.entries.empty()) append_proposal(m.entries, m.from);
      return;
    case MessageType::kReadIndex:
      handle_read_index(m);
      return;
    default:
      break;
  }
  auto it = trk_.progress.find(m.from);
  if (it == trk_.progress.end()) {
    logger_->debug("{:x} no progress for {:x}; ignored {}", id_, m.from, to_string(m.type));
    return;
  }
  tracker::Progress& pr = it->second;
  switch (m.type) {
    case MessageType::kAppendResponse:
      pr.recent_active = true;
      handle_append_response(m, pr);
      return;
    case MessageType::kHeartbeatResponse:
      pr.recent_active = true;
      handle_heartbeat_response(m, pr);
      return;
    default:
      logger_->debug("{:x} as leader ignored {} from {:x}", id_, to_string(m.type), m.from);
  }
}

void Raft::step_candidate(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      become_follower(m.term, m.from);  // Someone won this term.
      handle_append(m);
      return;
    case MessageType::kHeartbeat:
      become_follower(m.term, m.from);
      handle_heartbeat(m);
      return;
    case MessageType::kSnapshot:
      become_follower(m.term, m.from);
      handle_snapshot(m);
      return;
    case MessageType::kVoteResponse:
    case MessageType::kPreVoteResponse:
      handle_vote_response(m);
      return;
    default:
      logger_->debug("{:x} as {} ignored {} from {:x}", id_, to_string(role_), to_string(m.type),
                     m.from);
  }
}

void Raft::step_follower(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_append(m);
      return;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_heartbeat(m);
      return;
    case MessageType::kSnapshot:
      election_elapsed_ = 0;
      lead_ = m.from;
      handle_snapshot(m);
      return;
    case MessageType::kTimeoutNow:
      if (m.from != lead_) {
        // Only the leader we follow may hand us leadership (and let us past others' leases).
        logger_->warn("{:x} ignored timeout-now from {:x}, not our leader {:x}", id_, m.from,
                      lead_);
        return;
      }
      logger_->info("{:x} [term {}] received timeout-now from {:x}: campaigning", id_, term_,
                    m.from);
      // The leader asked: skip pre-vote, and tell voters to set their lease aside.
      hup(true);
      return;
    case MessageType::kReadIndexResponse:
      if (m.entries.size() != 1) {
        logger_->warn("{:x} dropped malformed read-index response from {:x}", id_, m.from);
        return;
      }
      read_states.push_back(ReadState{m.index, m.entries[0].data});
      return;
    default:
      // Proposals and reads forwarded by peers are not forwarded again: a member that is not
      // leader drops them and their sender times out (no forwarding loops across term changes).
      logger_->debug("{:x} as follower ignored {} from {:x}", id_, to_string(m.type), m.from);
  }
}

Error Raft::propose(std::vector<Entry> entries) {
  if (entries.empty()) return Error::kOk;
  if (role_ == Role::kLeader) return append_proposal(std::move(entries), id_);
  if (role_ != Role::kFollower || lead_ == kNone) return Error::kNoLeader;
  if (disable_proposal_forwarding_) return Error::kNotLeader;
  Message m{.type = MessageType::kPropose, .to = lead_};
  m.entries = std::move(entries);
  send(std::move(m));
  return Error::kOk;
}

Error Raft::append_proposal(std::vector<Entry> entries, NodeId origin) {
  if (!trk_.progress.contains(id_)) return Error::kNotLeader;  // Removed from the cluster.
  if (lead_transferee_ != kNone) return Error::kTransferInProgress;
  Index conf_index = 0;  // Becomes pending only if the entries are actually appended.
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].type != EntryType::kConfChange) continue;
    const auto cc = decode_conf_change(entries[i].data);
    if (!cc) return Error::kInvalidConfChange;
    // One membership change at a time (§4.1): the next is judged against the configuration the
    // previous one produced, which is only known once it is applied.
    if (pending_conf_index_ > log_.applied()) return Error::kConfChangePending;
    const bool joint = trk_.config.voters.joint();
    if (joint != cc->leave_joint()) return Error::kInvalidConfChange;
    confchange::Changer changer(trk_, log_.last_index());
    bool auto_leave = false;
    const auto outcome = cc->leave_joint() ? changer.leave_joint()
                         : cc->enter_joint(&auto_leave)
                             ? changer.enter_joint(auto_leave, cc->changes)
                             : changer.simple(cc->changes);
    if (!outcome.has_value()) {
      logger_->warn("{:x} refused configuration change from {:x}: {}", id_, origin,
                    outcome.error());
      return Error::kInvalidConfChange;
    }
    if (conf_index != 0) return Error::kConfChangePending;  // Two in one batch.
    conf_index = log_.last_index() + i + 1;
  }
  if (!append_entries(std::move(entries))) {
    logger_->debug("{:x} dropped proposal from {:x}: uncommitted size limit", id_, origin);
    return Error::kTooManyUncommitted;
  }
  if (conf_index != 0) pending_conf_index_ = conf_index;
  bcast_append();
  return Error::kOk;
}

bool Raft::append_entries(std::vector<Entry> entries) {
  if (!increase_uncommitted_size(entries)) return false;
  Index index = log_.last_index();
  for (Entry& e : entries) {
    e.term = term_;
    e.index = ++index;
  }
  log_.append(entries);
  // Our own acknowledgement waits for on_persisted(): the leader may send these entries while it
  // writes them, but counts itself toward commit only once they are durable.
  return true;
}

bool Raft::increase_uncommitted_size(const std::vector<Entry>& entries) {
  const uint64_t size = payload_size(entries);
  // Always admit a proposal when nothing is outstanding, however large, so that one oversized
  // entry cannot wedge the leader; the host limits single request sizes.
  if (max_uncommitted_size_ != 0 && uncommitted_size_ > 0 && size > 0 &&
      uncommitted_size_ + size > max_uncommitted_size_) {
    return false;
  }
  uncommitted_size_ += size;
  return true;
}

void Raft::reduce_uncommitted_size(uint64_t payload) {
  if (role_ != Role::kLeader) return;
  // Entries of an earlier term were never counted, so the subtraction can overshoot.
  uncommitted_size_ = payload > uncommitted_size_ ? 0 : uncommitted_size_ - payload;
}

bool Raft::committed_entry_in_current_term() const {
  return log_.zero_term_on_error(log_.committed()) == term_;
}

Error Raft::read_index(std::string context) {
  Message m{.type = MessageType::kReadIndex};
  m.entries.push_back(Entry{.data = std::move(context)});
  if (role_ == Role::kLeader) {
    m.from = id_;
    handle_read_index(m);
    return Error::kOk;
  }
  if (role_ != Role::kFollower || lead_ == kNone) return Error::kNoLeader;
  m.to = lead_;
  send(std::move(m));
  return Error::kOk;
}

void Raft::handle_read_index(const Message& m) {
  if (m.entries.size() != 1) return;
  // §6.4 step 1: until an entry of this term commits, our commit index may be behind the last
  // leader's, so a read served now could miss an acknowledged write. Hold the read back.
  if (!committed_entry_in_current_term()) {
    if (pending_reads_.size() < max_pending_reads_) pending_reads_.push_back(m);
    return;
  }
  const Index index = log_.committed();
  // The lease holds only while a quorum has answered within the current check-quorum window
  // (their leases then outlast it); otherwise confirm leadership the safe way.
  const bool in_lease = read_only_option_ == ReadOnlyOption::kLeaseBased && trk_.quorum_active(id_);
  if (in_lease || trk_.is_singleton()) {
    serve_read(index, m.from, m.entries[0].data);
    return;
  }
  read_only_.add_request(index, m.from, m.entries[0].data);
  read_only_.recv_ack(id_, m.entries[0].data);
  bcast_heartbeat_with_context(m.entries[0].data);
}

void Raft::serve_read(Index index, NodeId from, std::string context) {
  if (from == id_ || from == kNone) {
    read_states.push_back(ReadState{index, std::move(context)});
    return;
  }
  Message m{.type = MessageType::kReadIndexResponse, .to = from, .index = index};
  m.entries.push_back(Entry{.data = std::move(context)});
  send(std::move(m));
}

void Raft::release_pending_reads() {
  if (pending_reads_.empty() || !committed_entry_in_current_term()) return;
  std::vector<Message> reads = std::move(pending_reads_);
  pending_reads_.clear();
  for (const Message& m : reads) handle_read_index(m);
}

Error Raft::transfer_leader(NodeId target) {
  if (role_ != Role::kLeader) return Error::kNotLeader;
  return handle_transfer_leader(target);
}

Error Raft::handle_transfer_leader(NodeId target) {
  auto it = trk_.progress.find(target);
  if (it == trk_.progress.end()) return Error::kUnknownPeer;
  if (it->second.is_learner) return Error::kNotPromotable;
  if (lead_transferee_ != kNone) {
    if (lead_transferee_ == target) return Error::kOk;  // Already under way.
    abort_leader_transfer();
  }
  if (target == id_) return Error::kOk;
  // The transfer must finish within an election timeout, or it is abandoned.
  election_elapsed_ = 0;
  lead_transferee_ = target;
  logger_->info("{:x} [term {}] starts transferring leadership to {:x}", id_, term_, target);
  if (it->second.match == log_.last_index()) {
    send_timeout_now(target);
  } else {
    send_append(target);  // Catch it up first; the append response triggers timeout-now.
  }
  return Error::kOk;
}

void Raft::abort_leader_transfer() { lead_transferee_ = kNone; }

void Raft::send_timeout_now(NodeId to) {
  send(Message{.type = MessageType::kTimeoutNow, .to = to});
}

void Raft::check_quorum_on_election_timeout() {
  if (!trk_.quorum_active(id_)) {
    logger_->warn("{:x} stepped down at term {}: no quorum heard within an election timeout", id_,
                  term_);
    become_follower(term_, kNone);
    return;
  }
  trk_.visit([&](NodeId id, tracker::Progress& pr) {
    if (id != id_) pr.recent_active = false;
  });
}

void Raft::report_unreachable(NodeId id) {
  if (role_ != Role::kLeader) return;
  auto it = trk_.progress.find(id);
  if (it == trk_.progress.end()) return;
  // Appends sent optimistically were probably lost; probe again from the known match.
  if (it->second.state == tracker::ProgressState::kReplicate) it->second.become_probe();
}

void Raft::report_snapshot(NodeId id, bool success) {
  if (role_ != Role::kLeader) return;
  auto it = trk_.progress.find(id);
  if (it == trk_.progress.end()) return;
  tracker::Progress& pr = it->second;
  if (pr.state != tracker::ProgressState::kSnapshot) return;
  if (!success) pr.pending_snapshot = 0;
  pr.become_probe();
  // On success, wait for the follower's append response; on failure, for the next heartbeat.
  pr.probe_sent = true;
}

}  // namespace regent::raft
