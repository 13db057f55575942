#include "raft_cluster.h"

#include "common/assert.h"

namespace regent::raft::testing {

Cluster::Cluster(std::vector<NodeId> voters, Tweak tweak, std::vector<NodeId> learners)
    : tweak_(std::move(tweak)) {
  ConfState cs;
  cs.voters.insert(voters.begin(), voters.end());
  cs.learners.insert(learners.begin(), learners.end());
  std::vector<NodeId> all = voters;
  all.insert(all.end(), learners.begin(), learners.end());
  for (NodeId id : all) {
    MemberState m;
    m.storage = std::make_unique<MemoryStorage>();
    // Start from a snapshot at index 1 holding the initial configuration, as a host would when
    // bootstrapping (so every member agrees on the configuration without a log entry).
    Snapshot boot;
    boot.metadata.index = 1;
    boot.metadata.term = 1;
    boot.metadata.conf_state = cs;
    m.storage->apply_snapshot(boot);
    m.storage->set_hard_state(HardState{.term = 1, .vote = kNone, .commit = 1});
    members_.emplace(id, std::move(m));
  }
  for (NodeId id : all) members_.at(id).node = std::make_unique<RawNode>(make_config(id));
}

void Cluster::add_member(NodeId id) {
  REGENT_ASSERT(!members_.contains(id), "member {} exists", id);
  MemberState m;
  m.storage = std::make_unique<MemoryStorage>();
  members_.emplace(id, std::move(m));
  // An empty storage has an empty configuration: the member waits to be contacted.
  members_.at(id).node = std::make_unique<RawNode>(make_config(id));
}

Config Cluster::make_config(NodeId id) const {
  Config c;
  c.id = id;
  c.storage = members_.at(id).storage.get();
  c.seed = id * 7919;
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  if (tweak_) tweak_(c);
  return c;
}

std::vector<NodeId> Cluster::ids() const {
  std::vector<NodeId> out;
  for (const auto& [id, m] : members_) out.push_back(id);
  return out;
}

void Cluster::process_ready(NodeId id) {
  MemberState& m = members_.at(id);
  if (m.down || !m.node->has_ready()) return;
  Ready rd = m.node->ready();
  // Messages that may leave before the write.
  for (auto& msg : rd.messages) queue_.push_back(std::move(msg));
  if (rd.snapshot) m.storage->apply_snapshot(*rd.snapshot);
  m.storage->append(rd.entries);
  if (rd.hard_state) m.storage->set_hard_state(*rd.hard_state);
  for (auto& msg : rd.messages_after_persist) queue_.push_back(std::move(msg));
  for (const Entry& e : rd.committed_entries) {
    if (e.type == EntryType::kConfChange) {
      auto cc = decode_conf_change(e.data);
      REGENT_ASSERT(cc.has_value(), "undecodable conf change at {}", e.index);
      m.node->apply_conf_change(*cc);
    }
    if (e.index > m.replay_until) m.applied.push_back(e);
  }
  for (auto& r : rd.read_states) m.reads.push_back(std::move(r));
  m.node->advance();
}

bool Cluster::dropped(const Message& m) const {
  if (isolated_.contains(m.from) || isolated_.contains(m.to)) return true;
  if (cuts_.contains({m.from, m.to})) return true;
  for (const auto& f : filters_) {
    if (f(m)) return true;
  }
  return false;
}

bool Cluster::step_round() {
  bool moved = false;
  for (auto& [id, m] : members_) {
    if (!m.down && m.node->has_ready()) {
      process_ready(id);
      moved = true;
    }
  }
  std::vector<Message> batch = std::move(queue_);
  queue_.clear();
  for (const Message& msg : batch) {
    moved = true;
    auto it = members_.find(msg.to);
    if (it == members_.end() || it->second.down || dropped(msg)) continue;
    delivered_.push_back(msg);
    it->second.node->step(msg);
  }
  return moved;
}

bool Cluster::stabilize(size_t max_rounds) {
  for (size_t i = 0; i < max_rounds; ++i) {
    if (!step_round()) return true;
  }
  return false;
}

void Cluster::tick(NodeId id, int ticks) {
  for (int i = 0; i < ticks; ++i) {
    if (!members_.at(id).down) members_.at(id).node->tick();
  }
}

void Cluster::tick_all(int ticks) {
  for (int i = 0; i < ticks; ++i) {
    for (auto& [id, m] : members_) {
      if (!m.down) m.node->tick();
    }
    stabilize();
  }
}

bool Cluster::elect(NodeId id, int max_ticks) {
  node(id).campaign();
  stabilize();
  for (int i = 0; i < max_ticks && leader() != id; ++i) tick_all(1);
  return leader() == id;
}

std::optional<NodeId> Cluster::leader() const {
  std::optional<NodeId> best;
  Term best_term = 0;
  for (const auto& [id, m] : members_) {
    if (m.down) continue;
    const Raft& r = m.node->raft();
    if (r.role() == Role::kLeader && (!best || r.term() > best_term)) {
      best = id;
      best_term = r.term();
    }
  }
  return best;
}

void Cluster::isolate(NodeId id) { isolated_.insert(id); }

void Cluster::cut(NodeId a, NodeId b) {
  cuts_.insert({a, b});
  cuts_.insert({b, a});
}

void Cluster::heal() {
  isolated_.clear();
  cuts_.clear();
  filters_.clear();
}

void Cluster::crash(NodeId id) { members_.at(id).down = true; }

void Cluster::restart(NodeId id) {
  MemberState& m = members_.at(id);
  // Messages in flight to or from the crashed incarnation are gone.
  std::erase_if(queue_, [&](const Message& msg) { return msg.to == id || msg.from == id; });
  // Like a real host: the state machine restarts from the snapshot and replays the log after it,
  // which re-applies membership changes the snapshot does not contain.
  Config c = make_config(id);
  c.applied = m.storage->first_index() - 1;
  m.replay_until = m.applied.empty() ? 0 : m.applied.back().index;
  m.node = std::make_unique<RawNode>(c);
  m.down = false;
}

Error Cluster::propose(NodeId id, const std::string& data) {
  const Error e = node(id).propose(data);
  stabilize();
  return e;
}

std::vector<std::string> Cluster::applied_data(NodeId id) const {
  std::vector<std::string> out;
  for (const Entry& e : members_.at(id).applied) {
    if (e.type == EntryType::kNormal && !e.data.empty()) out.push_back(e.data);
  }
  return out;
}

}  // namespace regent::raft::testing
