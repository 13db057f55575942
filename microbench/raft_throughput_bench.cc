// Committed proposals per second through three consensus cores in one process.
//
// What one iteration is: one round of a 3-member cluster's host loop, with no I/O at all. The
// leader first tops its outstanding proposals back up to the window (the benchmark argument),
// then every member handles its Ready exactly as RawNode's contract says (send `messages`,
// persist into its MemoryStorage, send `messages_after_persist`, apply, advance), then every
// queued message is delivered by a direct call to the addressee's step(). A proposal counts as
// done when the leader applies it, so items_per_second is committed-and-applied proposals per
// second as the client would see them.
//
// What it is not: there is no disk, no network and no serialization, and the state machine only
// checksums entry metadata, so the figure is an upper bound set by the core and the host loop's
// copying, not a prediction for regentd. No ticks are fed: at these rates a real 100 ms tick
// would fire once every several thousand rounds, and ticks would only add heartbeats.
//
// The loop is lean rather than the tests' Cluster harness because the harness keeps every
// delivered message and every applied entry (unbounded growth, and copies that would be
// measured too). Memory stays bounded: storage is compacted behind the slowest member.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "raft/log/memory_storage.h"
#include "raft/raw_node.h"

namespace regent::raft {
namespace {

constexpr size_t kMembers = 3;
// Compact every kCompactEvery entries the leader applies, keeping kCompactKeep entries behind the
// slowest member's applied index: far more than any in-flight window here, so the leader never
// needs a compacted entry (which would force a snapshot) to replicate.
constexpr Index kCompactEvery = 4096;
constexpr Index kCompactKeep = 1024;
// Bound on the rounds to elect the leader or drain the cluster; either takes a handful.
constexpr int kMaxSettleRounds = 1000;

enum class Proposing {
  kOneByOne,  // One propose() per entry: each one is its own append to every follower.
  kBatched,   // One propose_batch() per round for all the entries the window has room for.
};

struct Member {
  MemoryStorage storage;
  std::unique_ptr<RawNode> node;
  Index applied = 0;
  // The "state machine": folds in each applied entry's position and size, so that the three
  // members can be compared after the run without costing a pass over every payload byte.
  uint64_t checksum = 0;
};

class ThreeCores {
 public:
  ThreeCores() {
    ConfState cs;
    for (size_t i = 0; i < kMembers; ++i) cs.voters.insert(id_of(i));
    for (size_t i = 0; i < kMembers; ++i) {
      Member& m = members_[i];
      // Bootstrap as a host would (and as the Cluster harness does): a snapshot at index 1 holds
      // the initial configuration, so the members agree on it without a log entry.
      Snapshot boot;
      boot.metadata.index = 1;
      boot.metadata.term = 1;
      boot.metadata.conf_state = cs;
      m.storage.apply_snapshot(boot);
      m.storage.set_hard_state(HardState{.term = 1, .vote = kNone, .commit = 1});
      m.applied = 1;
      Config c;
      c.id = id_of(i);
      c.storage = &m.storage;
      c.seed = 0x5eed + i;
      c.applied = 1;
      m.node = std::make_unique<RawNode>(c);
    }
  }
  ThreeCores(const ThreeCores&) = delete;
  ThreeCores& operator=(const ThreeCores&) = delete;

  // Elects member 1 and waits until it has applied its no-op. False if that does not happen.
  bool elect() {
    if (leader().campaign() != Error::kOk) return false;
    for (int i = 0; i < kMaxSettleRounds; ++i) {
      round();
      const Raft& r = leader().raft();
      if (r.role() == Role::kLeader && r.log().applied() == r.log().last_index()) return true;
    }
    return false;
  }

  RawNode& leader() { return *members_[0].node; }
  bool still_leads() const { return members_[0].node->raft().role() == Role::kLeader; }

  // One round: every member handles its Ready, then every queued message is delivered. Returns
  // the proposals the leader applied in this round.
  uint64_t round() {
    uint64_t done = 0;
    for (size_t i = 0; i < kMembers; ++i) done += handle_ready(members_[i], i == 0);
    delivered_ += queue_.size();
    for (const Message& msg : queue_) members_[msg.to - 1].node->step(msg);
    // Stepping only fills the cores' outboxes (drained by the next Ready), never queue_.
    queue_.clear();
    if (members_[0].applied >= next_compaction_) compact();
    return done;
  }

  // Runs rounds until no member has anything to do. False if that takes too long.
  bool drain() {
    for (int i = 0; i < kMaxSettleRounds; ++i) {
      if (!any_ready()) return true;
      round();
    }
    return false;
  }

  // True if every member applied the same entries (same last index, same checksum).
  bool converged() const {
    return std::all_of(members_.begin(), members_.end(), [&](const Member& m) {
      return m.applied == members_[0].applied && m.checksum == members_[0].checksum;
    });
  }

  uint64_t delivered() const { return delivered_; }

 private:
  static NodeId id_of(size_t i) { return static_cast<NodeId>(i + 1); }

  uint64_t handle_ready(Member& m, bool is_leader) {
    if (!m.node->has_ready()) return 0;
    Ready rd = m.node->ready();
    for (Message& msg : rd.messages) queue_.push_back(std::move(msg));
    if (rd.snapshot) m.storage.apply_snapshot(*rd.snapshot);
    m.storage.append(rd.entries);
    if (rd.hard_state) m.storage.set_hard_state(*rd.hard_state);
    for (Message& msg : rd.messages_after_persist) queue_.push_back(std::move(msg));
    uint64_t done = 0;
    for (const Entry& e : rd.committed_entries) {
      m.checksum = (m.checksum ^ (e.index * 31 + e.term * 17 + e.data.size())) * 0x100000001b3ULL;
      m.applied = e.index;
      // The leader's empty no-op is not a proposal.
      if (is_leader && e.type == EntryType::kNormal && !e.data.empty()) ++done;
    }
    m.node->advance();
    return done;
  }

  bool any_ready() const {
    return std::any_of(members_.begin(), members_.end(),
                       [](const Member& m) { return m.node->has_ready(); });
  }

  void compact() {
    Index slowest = members_[0].applied;
    for (const Member& m : members_) slowest = std::min(slowest, m.applied);
    if (slowest > kCompactKeep) {
      const Index to = slowest - kCompactKeep;
      for (Member& m : members_) {
        if (to >= m.storage.first_index()) m.storage.compact(to);
      }
    }
    next_compaction_ = members_[0].applied + kCompactEvery;
  }

  std::array<Member, kMembers> members_;
  std::vector<Message> queue_;
  uint64_t delivered_ = 0;
  Index next_compaction_ = kCompactEvery;
};

// Keeps state.range(0) proposals of `payload_bytes` outstanding and counts the ones the leader
// applies.
void BM_RaftCommit(benchmark::State& state, size_t payload_bytes, Proposing proposing) {
  const auto window = static_cast<uint64_t>(state.range(0));
  ThreeCores cluster;
  if (!cluster.elect()) {
    state.SkipWithError("member 1 was not elected");
    return;
  }
  const std::string payload(payload_bytes, 'p');
  const uint64_t delivered_before = cluster.delivered();
  uint64_t proposed = 0;
  uint64_t committed = 0;
  uint64_t rounds = 0;
  std::vector<std::string> batch;

  for (auto _ : state) {
    const uint64_t room = window - (proposed - committed);
    Error err = Error::kOk;
    if (proposing == Proposing::kBatched && room > 0) {
      batch.assign(room, payload);
      err = cluster.leader().propose_batch(std::move(batch));
      batch.clear();
    } else {
      for (uint64_t i = 0; i < room && err == Error::kOk; ++i) {
        err = cluster.leader().propose(payload);
      }
    }
    if (err != Error::kOk) {
      state.SkipWithError("the leader refused a proposal");
      break;
    }
    proposed += room;
    committed += cluster.round();
    ++rounds;
  }
  const uint64_t delivered = cluster.delivered() - delivered_before;

  // Outside the timed loop: the run must have been a correct one.
  if (!cluster.still_leads()) state.SkipWithError("member 1 lost leadership during the run");
  if (!cluster.drain() || !cluster.converged()) {
    state.SkipWithError("the members did not converge on the same applied entries");
  }
  state.SetItemsProcessed(static_cast<int64_t>(committed));
  state.SetBytesProcessed(static_cast<int64_t>(committed * payload_bytes));
  const auto per_commit = [&](uint64_t n) {
    return committed == 0 ? 0.0 : static_cast<double>(n) / static_cast<double>(committed);
  };
  state.counters["rounds/commit"] = per_commit(rounds);
  state.counters["msgs/commit"] = per_commit(delivered);
}

BENCHMARK_CAPTURE(BM_RaftCommit, payload_16B, 16, Proposing::kOneByOne)
    ->ArgName("inflight")
    ->Arg(1)
    ->Arg(64);
BENCHMARK_CAPTURE(BM_RaftCommit, payload_256B, 256, Proposing::kOneByOne)
    ->ArgName("inflight")
    ->Arg(1)
    ->Arg(64);
// What a driver gains by group-committing: the refill goes in as one propose_batch().
BENCHMARK_CAPTURE(BM_RaftCommit, payload_16B_batched, 16, Proposing::kBatched)
    ->ArgName("inflight")
    ->Arg(64);

}  // namespace
}  // namespace regent::raft
