// Log replication (§3.5): appends with the consistency check, fast backtracking on rejection,
// pipelining within each follower's inflight window, snapshots for followers behind the
// compaction point (§5), heartbeats, and the follower side of all of it.
#include "common/assert.h"
#include "raft/raft.h"

namespace regent::raft {

void Raft::send_append(NodeId to) { maybe_send_append(to, true); }

bool Raft::maybe_send_append(NodeId to, bool send_if_empty) {
  auto it = trk_.progress.find(to);
  if (it == trk_.progress.end()) return false;
  tracker::Progress& pr = it->second;
  if (pr.is_paused()) return false;

  const Index prev_index = pr.next - 1;
  auto prev_term = log_.term(prev_index);
  auto ents = log_.entries(pr.next, max_msg_size_);
  if (!prev_term.has_value() || !ents.has_value()) {
    // What the follower needs next was compacted away: only a snapshot can catch it up.
    return maybe_send_snapshot(to, pr);
  }
  if (ents->empty() && !send_if_empty) return false;

  Message m{.type = MessageType::kAppend, .to = to};
  m.index = prev_index;
  m.log_term = *prev_term;
  m.commit = log_.committed();
  if (ents->empty()) {
    pr.sent_probe();
  } else {
    pr.sent_entries(ents->back().index, entries_size(*ents));
  }
  m.entries = std::move(*ents);
  send(std::move(m));
  return true;
}

bool Raft::maybe_send_snapshot(NodeId to, tracker::Progress& pr) {
  if (!pr.recent_active) {
    // A snapshot is expensive; do not stream one to a member that may be down.
    logger_->debug("{:x} not sending snapshot to inactive {:x}", id_, to);
    return false;
  }
  auto snap = log_.snapshot();
  if (!snap.has_value()) {
    REGENT_ASSERT(snap.error() == StorageError::kSnapshotTemporarilyUnavailable,
                  "{:x} cannot read snapshot: {}", id_, to_string(snap.error()));
    logger_->debug("{:x} snapshot for {:x} temporarily unavailable", id_, to);
    return false;
  }
  REGENT_ASSERT(!snap->empty(), "{:x} needs a non-empty snapshot for {:x}", id_, to);
  logger_->info("{:x} [first index {}, commit {}] sends snapshot at {} to {:x} [{}]", id_,
                log_.first_index(), log_.committed(), snap->metadata.index, to, pr.describe());
  pr.become_snapshot(snap->metadata.index);
  Message m{.type = MessageType::kSnapshot, .to = to};
  m.snapshot = std::move(*snap);
  send(std::move(m));
  return true;
}

void Raft::send_heartbeat(NodeId to, const std::string& context) {
  const auto& pr = trk_.progress.at(to);
  // Never tell a follower to commit past what it is known to hold: its tail may still diverge.
  Message m{.type = MessageType::kHeartbeat, .to = to};
  m.commit = std::min(pr.match, log_.committed());
  m.context = context;
  send(std::move(m));
}

void Raft::bcast_append() {
  trk_.visit([&](NodeId id, tracker::Progress&) {
    if (id != id_) send_append(id);
  });
}

void Raft::bcast_heartbeat() { bcast_heartbeat_with_context(read_only_.last_pending_context()); }

void Raft::bcast_heartbeat_with_context(const std::string& context) {
  trk_.visit([&](NodeId id, tracker::Progress&) {
    if (id != id_) send_heartbeat(id, context);
  });
}

// An append from a leader of our term must describe a contiguous run after `index`, with terms
// that never decrease and never exceed the leader's. Anything else is malformed and dropped.
bool Raft::valid_append(const Message& m) const {
  if (m.log_term > m.term || m.index >= kMaxIndex || m.entries.size() >= kMaxIndex - m.index) {
    return false;
  }
  Term prev = m.log_term;
  Index expected = m.index + 1;
  for (const Entry& e : m.entries) {
    if (e.index != expected || e.term < prev || e.term > m.term) return false;
    prev = e.term;
    ++expected;
  }
  return true;
}

void Raft::handle_append(const Message& m) {
  if (!valid_append(m)) {
    logger_->warn("{:x} dropped malformed append from {:x} at index {}", id_, m.from, m.index);
    return;
  }
  heard_leader_commit(m.commit);
  if (m.index < log_.committed()) {
    // Everything up to our commit index is settled; tell the leader where we are.
    send(Message{.type = MessageType::kAppendResponse, .to = m.from, .index = log_.committed()});
    return;
  }
  if (auto last = log_.maybe_append(m.index, m.log_term, m.commit, m.entries)) {
    send(Message{.type = MessageType::kAppendResponse, .to = m.from, .index = *last});
    return;
  }
  // Rejected: hint the largest index whose term is <= the leader's term at m.index, so that the
  // leader can skip a whole diverging term per round trip instead of one entry.
  const Index hint_index = std::min(m.index, log_.last_index());
  const auto [hint, hint_term] = log_.find_conflict_by_term(hint_index, m.log_term);
  logger_->debug("{:x} [logterm {}, index {}] rejected append [logterm {}, index {}] from {:x}",
                 id_, log_.zero_term_on_error(m.index), m.index, m.log_term, m.index, m.from);
  Message resp{.type = MessageType::kAppendResponse, .to = m.from, .log_term = hint_term};
  resp.index = m.index;
  resp.reject = true;
  resp.reject_hint = hint;
  send(std::move(resp));
  // The leader ignores a rejection at or below the match it holds for us as stale; when we lost
  // entries, that match is above our log, so tell it where our log really ends.
  if (catch_up_to_ > 0 && m.index > log_.last_index()) report_lost_log(m.from);
}

void Raft::report_lost_log(NodeId leader) {
  Message m{.type = MessageType::kHeartbeatResponse, .to = leader, .reject = true};
  m.reject_hint = log_.last_index();
  send(std::move(m));
}

void Raft::handle_heartbeat(const Message& m) {
  Message resp{.type = MessageType::kHeartbeatResponse, .to = m.from};
  resp.context = m.context;
  // The leader never names a commit beyond what we acknowledged to it. One beyond our log means
  // we lost entries we had acknowledged (a damaged disk, an emptied data dir). Clamping it to our
  // last index could commit a divergent tail, so its commit is ignored; instead we stop voting
  // until caught up and tell the leader where our log really ends, so that it probes back from
  // there rather than believing we hold what we lost.
  if (m.commit > log_.last_index()) {
    note_lost_log(m.commit, fmt::format("leader {:x} names commit {} beyond its last index {}",
                                        m.from, m.commit, log_.last_index()));
    catch_up_heard_append_ = false;  // Appends the leader sent before our answer do not count.
    resp.reject = true;
    resp.reject_hint = log_.last_index();
  } else if (m.commit > log_.committed()) {
    log_.commit_to(m.commit);
  }
  send(std::move(resp));
}

void Raft::note_lost_log(Index promised, std::string_view why) {
  if (promised <= catch_up_to_) return;
  if (catch_up_to_ == 0) {
    logger_->warn(
        "{:x} lost log entries it may have acknowledged ({}): it will not vote or campaign until "
        "it holds entry {} durably and knows it is committed",
        id_, why, promised);
  }
  catch_up_to_ = promised;
}

void Raft::heard_leader_commit(Index commit) {
  if (catch_up_to_ == 0) return;
  // Whatever a leader says is committed may rest on our lost acknowledgements; hold it too.
  catch_up_to_ = std::max(catch_up_to_, commit);
  catch_up_heard_append_ = true;
}

void Raft::maybe_finish_catch_up() {
  if (catch_up_to_ == 0 || !catch_up_heard_append_ || log_.committed() < catch_up_to_ ||
      persisted_index() < catch_up_to_) {
    return;
  }
  logger_->info("{:x} caught up past entry {} after losing entries: it votes again", id_,
                catch_up_to_);
  catch_up_to_ = 0;
  catch_up_heard_append_ = false;
}

void Raft::handle_snapshot(const Message& m) {
  const auto& meta = m.snapshot.metadata;
  if (meta.index == 0 || meta.index >= kMaxIndex || meta.term > m.term) {
    logger_->warn("{:x} dropped malformed snapshot [index {}, term {}] from {:x}", id_, meta.index,
                  meta.term, m.from);
    return;
  }
  heard_leader_commit(meta.index);
  if (restore(m.snapshot)) {
    logger_->info("{:x} [commit {}] restored snapshot [index {}, term {}]", id_, log_.committed(),
                  meta.index, meta.term);
    send(Message{.type = MessageType::kAppendResponse, .to = m.from, .index = log_.last_index()});
  } else {
    logger_->info("{:x} [commit {}] ignored snapshot [index {}, term {}]", id_, log_.committed(),
                  meta.index, meta.term);
    send(Message{.type = MessageType::kAppendResponse, .to = m.from, .index = log_.committed()});
  }
}

// Returns whether the snapshot replaced the log (false: it was stale or merely fast-forwarded).
bool Raft::restore(const Snapshot& snap) {
  const auto& meta = snap.metadata;
  if (meta.index <= log_.committed()) return false;
  const auto& cs = meta.conf_state;
  const bool member =
      cs.voters.contains(id_) || cs.learners.contains(id_) || cs.voters_outgoing.contains(id_);
  if (!member) {
    // A snapshot that does not contain us cannot be from a leader of a configuration we are in.
    logger_->warn("{:x} ignored snapshot at {}: not a member of its configuration", id_,
                  meta.index);
    return false;
  }
  if (log_.match_term(meta.index, meta.term)) {
    // We already hold the snapshot's last entry; only the commit index was behind.
    log_.commit_to(meta.index);
    return false;
  }
  // Validate the configuration before touching the log: a snapshot whose configuration cannot
  // exist (no voters, a member both voter and learner) is dropped, never half-applied.
  tracker::ProgressTracker fresh(trk_.max_inflight(), trk_.max_inflight_bytes());
  auto outcome = confchange::restore(fresh, meta.index, cs);
  if (!outcome.has_value()) {
    logger_->warn("{:x} ignored snapshot at {}: invalid configuration: {}", id_, meta.index,
                  outcome.error());
    return false;
  }
  log_.restore(snap);
  trk_ = std::move(fresh);
  const ConfState restored = switch_to_config(*outcome);
  REGENT_ASSERT(restored == cs, "{:x} snapshot configuration did not round-trip", id_);
  return true;
}

void Raft::handle_append_response(const Message& m, tracker::Progress& pr) {
  if (m.reject) {
    Index next_probe = m.reject_hint;
    if (m.log_term > 0) {
      // Skip every entry of ours whose term is above the follower's hint term (§5.3 optimization).
      next_probe = log_.find_conflict_by_term(m.reject_hint, m.log_term).first;
    }
    if (pr.maybe_decrease_to(m.index, next_probe)) {
      if (pr.state == tracker::ProgressState::kReplicate) pr.become_probe();
      send_append(m.from);
    }
    return;
  }
  if (m.index > log_.last_index()) {
    // Acknowledging entries we never sent: a confused or malicious peer. Trusting it could push
    // match past our log and, with others, the commit index past what a quorum holds.
    logger_->warn("{:x} ignored append response from {:x} for index {} beyond last index {}", id_,
                  m.from, m.index, log_.last_index());
    return;
  }
  const bool was_paused = pr.is_paused();
  const bool progressed = pr.maybe_update(m.index);
  if (!progressed && !(pr.match == m.index && pr.state == tracker::ProgressState::kProbe)) return;
  switch (pr.state) {
    case tracker::ProgressState::kProbe:
      pr.become_replicate();
      break;
    case tracker::ProgressState::kSnapshot:
      if (pr.match + 1 >= log_.first_index()) {
        pr.become_probe();
        pr.become_replicate();
      }
      break;
    case tracker::ProgressState::kReplicate:
      pr.inflights.free_le(m.index);
      break;
  }
  if (maybe_commit()) {
    release_pending_reads();
    bcast_append();
  } else if (was_paused) {
    send_append(m.from);
  }
  // Pipelining: fill the window. Each send either moves next forward or pauses the progress,
  // so the window size bounds this loop.
  for (size_t i = 0; i <= trk_.max_inflight() && maybe_send_append(m.from, false); ++i) {
  }
  if (m.from == lead_transferee_ && pr.match == log_.last_index()) {
    logger_->info("{:x} sends timeout-now to {:x}: its log is up to date", id_, m.from);
    send_timeout_now(m.from);
  }
}

void Raft::handle_lost_log_report(const Message& m, tracker::Progress& pr) {
  // Only a member that lost acknowledged entries reports a log end below its match (a stale
  // report, delayed past the follower's recovery, merely makes us probe once more).
  if (m.reject_hint >= pr.match) return;
  ++lost_log_reports_;
  logger_->warn(
      "{:x} follower {:x} reports its log ends at {}, below the {} it acknowledged: it lost "
      "entries; probing it from there, not counting it toward commit until it is back at {}",
      id_, m.from, m.reject_hint, pr.match, std::max(pr.match, log_.committed()));
  pr.lost_log_until = std::max(pr.match, log_.committed());
  pr.match = m.reject_hint;
  pr.become_probe();
  pr.next = pr.match + 1;
  send_append(m.from);
}

void Raft::handle_heartbeat_response(const Message& m, tracker::Progress& pr) {
  pr.probe_sent = false;
  if (m.reject) handle_lost_log_report(m, pr);
  // The follower is alive though the window is full: free a slot so that one append can go out
  // and the pipeline does not stall on lost messages.
  if (pr.state == tracker::ProgressState::kReplicate && pr.inflights.full()) {
    pr.inflights.free_first_one();
  }
  if (pr.match < log_.last_index()) send_append(m.from);
  if (m.from == lead_transferee_ && pr.match == log_.last_index()) {
    // Resend: the first timeout-now may have been lost, or refused because the target had not
    // yet applied a membership change it had just learned was committed.
    send_timeout_now(m.from);
  }

  // Lease-based reads fall back to this path too when the lease is not confirmed.
  if (m.context.empty()) return;
  const auto* acks = read_only_.recv_ack(m.from, m.context);
  if (acks == nullptr) return;
  std::map<NodeId, bool> votes;
  for (NodeId id : *acks) votes[id] = true;
  if (trk_.config.voters.vote_result(votes) != quorum::VoteResult::kWon) return;
  for (auto& req : read_only_.advance(m.context)) {
    serve_read(req.index, req.from, std::move(req.context));
  }
}

bool Raft::maybe_commit() { return log_.maybe_commit(trk_.committed(), term_); }

}  // namespace regent::raft
