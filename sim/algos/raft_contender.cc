#include "sim/algos/raft_contender.h"

#include <charconv>
#include <string>
#include <utility>

#include "common/assert.h"

namespace regent::sim::algos {
namespace {

// More Readys than this from one input means the core is not settling: a bug, not a workload.
constexpr int kMaxReadysPerInput = 64;

std::optional<uint64_t> decode_write(const std::string& data) {
  uint64_t id = 0;
  const auto [end, ec] = std::from_chars(data.data(), data.data() + data.size(), id);
  if (ec != std::errc{} || end != data.data() + data.size()) return std::nullopt;
  return id;
}

bool is_election(raft::MessageType t) {
  return t == raft::MessageType::kVote || t == raft::MessageType::kVoteResponse ||
         t == raft::MessageType::kPreVote || t == raft::MessageType::kPreVoteResponse ||
         t == raft::MessageType::kTimeoutNow;
}

}  // namespace

RaftContender::RaftContender(MemberId id, const Members& members, const Timing& timing,
                             uint64_t seed)
    : id_(id), timing_(timing), seed_(seed) {
  // Every member boots from the same snapshot holding the configuration, as a host bootstraps.
  raft::Snapshot boot;
  boot.metadata.index = 1;
  boot.metadata.term = 1;
  boot.metadata.conf_state.voters.insert(members.begin(), members.end());
  storage_.apply_snapshot(boot);
  storage_.set_hard_state(raft::HardState{.term = 1, .vote = raft::kNone, .commit = 1});
  node_ = std::make_unique<raft::RawNode>(config());
}

raft::Config RaftContender::config() const {
  raft::Config c;
  c.id = id_;
  c.storage = &storage_;
  c.election_tick = timing_.election_ticks;
  c.heartbeat_tick = timing_.heartbeat_ticks;
  // Regent's settings: pre-vote and check-quorum on (DESIGN.md, "Correctness").
  c.pre_vote = true;
  c.check_quorum = true;
  c.applied = storage_.first_index() - 1;
  c.seed = seed_ ^ (id_ * 0x9e3779b97f4a7c15ULL) ^ (incarnation_ << 32);
  const std::string problem = c.validate();
  REGENT_ASSERT(problem.empty(), "raft config: {}", problem);
  return c;
}

void RaftContender::tick() {
  node_->tick();
  drain();
}

void RaftContender::receive(const Envelope& e) {
  const auto* m = std::get_if<raft::Message>(&e.payload);
  REGENT_ASSERT(m != nullptr, "member {}: a Raft member got another algorithm's message", id_);
  node_->step(*m);
  drain();
}

void RaftContender::send(std::vector<raft::Message>& messages) {
  for (raft::Message& m : messages) {
    Envelope& e = outbox_.emplace_back();
    e.from = id_;
    e.to = m.to;
    e.election = is_election(m.type);
    e.payload.emplace<raft::Message>(std::move(m));
  }
}

void RaftContender::drain() {
  for (int i = 0; node_->has_ready(); ++i) {
    REGENT_ASSERT(i < kMaxReadysPerInput, "member {}: the core does not settle", id_);
    raft::Ready rd = node_->ready();
    send(rd.messages);
    if (rd.snapshot) storage_.apply_snapshot(*rd.snapshot);
    storage_.append(rd.entries);
    if (rd.hard_state) storage_.set_hard_state(*rd.hard_state);
    send(rd.messages_after_persist);
    for (const raft::Entry& entry : rd.committed_entries) {
      if (entry.type != raft::EntryType::kNormal || entry.data.empty()) continue;
      const auto write_id = decode_write(entry.data);
      REGENT_ASSERT(write_id.has_value(), "member {}: entry {} is no write", id_, entry.index);
      history_.push_back(*write_id);
      if (proposed_.erase(*write_id) == 1) acks_.push_back(*write_id);
    }
    node_->advance();
  }
}

std::vector<Envelope> RaftContender::take_outbox() { return std::exchange(outbox_, {}); }

void RaftContender::crash() {
  outbox_.clear();
  acks_.clear();
  proposed_.clear();  // The clients' connections die with the process: these are never acked.
}

void RaftContender::restart() {
  ++incarnation_;
  history_.clear();  // Rebuilt by applying the committed log again from the boot snapshot.
  node_ = std::make_unique<raft::RawNode>(config());
  drain();
}

bool RaftContender::believes_leader() const { return node_->raft().role() == raft::Role::kLeader; }

MemberId RaftContender::leader_view() const { return node_->raft().lead(); }

std::optional<uint64_t> RaftContender::quorum_term() const { return node_->raft().term(); }

void RaftContender::write(uint64_t write_id) {
  REGENT_ASSERT(believes_leader(), "member {} takes a write without leading", id_);
  if (node_->propose(std::to_string(write_id)) == raft::Error::kOk) proposed_.insert(write_id);
  drain();
}

std::vector<uint64_t> RaftContender::take_acks() { return std::exchange(acks_, {}); }

}  // namespace regent::sim::algos
