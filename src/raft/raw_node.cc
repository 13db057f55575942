#include "raft/raw_node.h"

#include "common/assert.h"

namespace regent::raft {

RawNode::RawNode(const Config& config) : raft_(config) {
  prev_soft_ = raft_.soft_state();
  prev_hard_ = raft_.hard_state();
}

Error RawNode::propose(std::string data) {
  return guarded([&] {
    std::vector<Entry> entries(1);
    entries[0].data = std::move(data);
    return raft_.propose(std::move(entries));
  });
}

Error RawNode::propose_batch(std::vector<std::string> data) {
  return guarded([&] {
    std::vector<Entry> entries(data.size());
    for (size_t i = 0; i < data.size(); ++i) entries[i].data = std::move(data[i]);
    return raft_.propose(std::move(entries));
  });
}

Error RawNode::propose_conf_change(const ConfChange& cc) {
  return guarded([&] {
    std::vector<Entry> entries(1);
    entries[0].type = EntryType::kConfChange;
    entries[0].data = encode_conf_change(cc);
    return raft_.propose(std::move(entries));
  });
}

Error RawNode::step(const Message& m) {
  if (m.to != raft_.id() || m.from == raft_.id() || m.from == kNone) return Error::kUnknownPeer;
  return guarded([&] { return raft_.step(m); });
}

ConfState RawNode::apply_conf_change(const ConfChange& cc) {
  // Called while applying a Ready's committed entries, i.e. between ready() and advance().
  const ConfState cs = raft_.apply_conf_change(cc);
  debug_check();
  return cs;
}

bool RawNode::has_ready() const {
  const auto& log = raft_.log();
  return raft_.soft_state() != prev_soft_ || raft_.hard_state() != prev_hard_ ||
         !raft_.msgs.empty() || !raft_.msgs_after_persist.empty() || !raft_.read_states.empty() ||
         log.has_entries_to_persist() || log.snapshot_to_persist() != nullptr ||
         log.has_next_committed_entries();
}

Ready RawNode::ready() {
  Raft& r = raft_;
  Ready rd;
  if (r.soft_state() != prev_soft_) {
    rd.soft_state = r.soft_state();
    prev_soft_ = r.soft_state();
  }
  const HardState hs = r.hard_state();
  if (hs != prev_hard_) {
    rd.hard_state = hs;
    rd.must_sync = hs.term != prev_hard_.term || hs.vote != prev_hard_.vote;
    prev_hard_ = hs;
  }
  rd.entries = r.log().entries_to_persist();
  if (!rd.entries.empty()) rd.must_sync = true;
  if (const Snapshot* snap = r.log().snapshot_to_persist()) {
    rd.snapshot = *snap;
    rd.must_sync = true;
  }
  rd.committed_entries = r.log().next_committed_entries();
  rd.read_states = std::move(r.read_states);
  r.read_states.clear();
  rd.messages = std::move(r.msgs);
  r.msgs.clear();
  rd.messages_after_persist = std::move(r.msgs_after_persist);
  r.msgs_after_persist.clear();

  Outstanding o;
  o.last_index = rd.entries.empty() ? 0 : rd.entries.back().index;
  o.last_term = rd.entries.empty() ? 0 : rd.entries.back().term;
  o.snapshot_index = rd.snapshot ? rd.snapshot->metadata.index : 0;
  o.applied = rd.committed_entries.empty() ? o.snapshot_index : rd.committed_entries.back().index;
  o.applied_payload = payload_size(rd.committed_entries);
  r.handed_out(rd.committed_entries.empty() ? 0 : o.applied);
  outstanding_.push_back(o);
  return rd;
}

void RawNode::advance() {
  REGENT_ASSERT(!outstanding_.empty(), "advance() without ready()");
  const Outstanding o = outstanding_.front();
  outstanding_.pop_front();
  raft_.on_persisted(o.last_index, o.last_term, o.snapshot_index);
  if (o.applied > 0) raft_.on_applied(o.applied, o.applied_payload);
  debug_check();
}

Status RawNode::status() const {
  Status s;
  s.id = raft_.id();
  s.hard_state = raft_.hard_state();
  s.soft_state = raft_.soft_state();
  s.applied = raft_.log().applied();
  s.last_index = raft_.log().last_index();
  s.lead_transferee = raft_.lead_transferee();
  s.conf_state = raft_.tracker().conf_state();
  if (raft_.role() == Role::kLeader) {
    for (const auto& [id, pr] : raft_.tracker().progress) s.progress[id] = pr.describe();
  }
  return s;
}

}  // namespace regent::raft
