// The event loop, the nodes' Ready loop over the real storage on a simulated disk, and the
// network. Clients are in world_clients.cc, faults in world_nemesis.cc; the fault model is
// described in world.h.
#include "sim/world.h"

#include <fmt/format.h>

#include <functional>

#include "common/assert.h"
#include "sim/linearizability.h"

namespace regent::sim {

using raft::Entry;
using raft::Message;
using raft::NodeId;

namespace {

constexpr size_t kTraceLines = 40;
// Each node has a disk of its own; the data directory's name shows in storage's messages.
constexpr const char* kDataDir = "/data";

// Storage's warnings (a torn tail cut off, an orphan snapshot file discarded) go into the run's
// trace, so that a failure report shows what recovery did.
class TraceLogger final : public Logger {
 public:
  explicit TraceLogger(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {}
  void log(LogLevel, std::string_view message) override { sink_(message); }
  bool enabled(LogLevel level) const override { return level >= LogLevel::kWarning; }

 private:
  std::function<void(std::string_view)> sink_;
};

}  // namespace

World::World(const Options& options, HostBug bug) : opt_(options), bug_(bug), prng_(options.seed) {
  raft::ConfState cs;
  for (NodeId id = 1; id <= opt_.members; ++id) cs.voters.insert(id);
  for (NodeId id = 1; id <= opt_.members + opt_.spares; ++id) boot(id, cs);
  for (uint64_t c = 0; c < opt_.clients; ++c) {
    schedule(prng_.between(0, opt_.think_us), Event{.kind = EventKind::kClientStart, .id = c});
  }
  schedule(opt_.nemesis_interval_us, Event{.kind = EventKind::kNemesis});
}

void World::boot(NodeId id, const raft::ConfState& cs) {
  auto n = std::make_unique<Node>();
  n->id = id;
  n->up = false;
  n->fs = std::make_unique<SimFs>();
  n->logger = std::make_unique<TraceLogger>(
      [this, id](std::string_view message) { trace(fmt::format("node {}: {}", id, message)); });
  const uint64_t skew = prng_.between(0, 2 * opt_.max_skew_percent);
  n->skew = 1.0 + (static_cast<double>(skew) - opt_.max_skew_percent) / 100.0;
  Node& node = *nodes_.emplace(id, std::move(n)).first->second;
  if (!open_storage(node)) return;
  // Every node, spares included, starts from the same bootstrap snapshot; a spare is not in its
  // configuration and stays passive until a membership change adds it.
  raft::Snapshot boot;
  boot.metadata = {.conf_state = cs, .index = 1, .term = 1};
  const raft::HardState hs{.term = 1, .vote = raft::kNone, .commit = 1};
  if (auto saved = node.storage->save({}, hs, boot); !saved) {
    host_failure(node, fmt::format("bootstrap failed on node {}: {}", id, saved.error().message));
    return;
  }
  restart(node);
}

bool World::open_storage(Node& n) {
  const storage::Options so{.segment_bytes = opt_.wal_segment_bytes,
                            .preallocate = opt_.wal_preallocate,
                            .catch_up_entries = opt_.snapshot_catch_up};
  auto opened = storage::DiskStorage::open(*n.fs, kDataDir, so, *n.logger);
  if (!opened && n.damaged && opened.error().kind == storage::FailureKind::kCorrupt) {
    // What a member must do with damaged synced data: refuse to start, never serve from it.
    trace(fmt::format("node {} refused to start: {}", n.id, opened.error().message));
    n.retired = true;
    n.up = false;
    ++coverage_.damage_refusals;
    return false;
  }
  if (!opened) {
    host_failure(n, fmt::format("recovery failed on node {}: {}", n.id, opened.error().message));
    return false;
  }
  if (n.damaged) {
    host_failure(n, fmt::format("node {} started on damaged synced data without noticing", n.id));
    return false;
  }
  n.storage = std::move(*opened);
  if (!n.storage->recovery().fresh) ++coverage_.recoveries;
  if (n.storage->recovery().torn_tail) ++coverage_.torn_tails;
  return true;
}

void World::host_failure(Node& n, std::string problem) {
  trace(problem);
  n.up = false;  // The host stops; nothing reaches this node any more.
  if (host_failure_.empty()) host_failure_ = std::move(problem);
}

void World::restart(Node& n) {
  if (n.retired) return;
  // Booting opened the storage already; after a crash, recovery runs here.
  if (!n.storage && !open_storage(n)) return;
  raft::Config c;
  c.id = n.id;
  c.storage = n.storage.get();
  c.election_tick = opt_.election_tick;
  c.heartbeat_tick = opt_.heartbeat_tick;
  c.pre_vote = opt_.pre_vote;
  c.check_quorum = opt_.check_quorum;
  c.campaign_on_leader_down = opt_.campaign_on_leader_down;
  c.max_size_per_msg = opt_.max_msg_bytes;
  c.seed = opt_.seed * 1000003 + n.id * 7919 + n.incarnation;
  // The state machine is rebuilt from the snapshot by replaying the log (it is not durable).
  c.applied = n.storage->first_index() - 1;
  if (!n.applied.empty()) n.replay_until = std::max(n.replay_until, n.applied.back().index);
  n.applied.clear();
  auto snapshot = n.storage->snapshot();
  REGENT_ASSERT(snapshot.has_value(), "node {} has no snapshot after recovery", n.id);
  if (!n.kv.restore(snapshot->data)) {
    host_failure(n, fmt::format("node {} cannot restore its snapshot at {}", n.id,
                                snapshot->metadata.index));
    return;
  }
  n.snapshot_index = snapshot->metadata.index;
  n.conf_state = n.storage->initial_state().second;
  n.raft = std::make_unique<raft::RawNode>(c);
  n.up = true;
  ++n.incarnation;
  n.syncing.reset();
  n.inbox.clear();
  n.ticks = 0;
  schedule(now_ + static_cast<Time>(opt_.tick_us * n.skew),
           Event{.kind = EventKind::kTick, .node = n.id, .incarnation = n.incarnation});
}

void World::crash(Node& n) {
  // The disk first: it keeps what it keeps (unsynced sectors lost or torn), and the handles of
  // the dying process go dead, so nothing its destructors might do can reach the disk. Then the
  // process's memory goes: the core (which reads through the storage) and the storage, whose
  // directory lock the crash released.
  REGENT_ASSERT(n.up && n.storage, "crash of node {}, which is not running", n.id);
  n.fs->crash(prng_, opt_.torn_percent);
  n.raft.reset();
  coverage_.segments_created += n.storage->stats().segments_created;
  const uint64_t stale_before = n.fs->stats().stale_handle_calls;
  n.storage.reset();
  if (n.fs->stats().stale_handle_calls != stale_before) {
    // A crashed process runs no destructors; ours must not depend on running either.
    host_failure(n, fmt::format("node {}'s storage touched the disk while being destroyed after "
                                "a crash",
                                n.id));
  }
  n.up = false;
  n.crash_armed = false;
  n.syncing.reset();
  n.inbox.clear();
  n.proposals.clear();
  n.reads_to_start.clear();
  n.reads_waiting.clear();
  ++n.incarnation;
  trace(fmt::format("crash {}", n.id));
  if (opt_.campaign_on_leader_down) report_down(n.id);
}

void World::report_down(raft::NodeId id) {
  for (auto& [other_id, other] : nodes_) {
    // A node whose fsync is in flight takes no input (its host is blocked on the disk).
    if (other_id == id || !other->up || other->syncing) continue;
    other->raft->report_leader_down(id);
    pump(*other);
  }
}

void World::schedule(Time at, Event e) {
  e.at = at;
  e.seq = seq_++;
  queue_.push(std::move(e));
}

// Feeds buffered inputs to an idle node and starts its next Ready.
void World::pump(Node& n) {
  if (!n.up || n.syncing) return;
  while (!n.inbox.empty()) {
    Message m = std::move(n.inbox.front());
    n.inbox.pop_front();
    n.raft->step(m);
  }
  for (; n.ticks > 0; --n.ticks) n.raft->tick();
  while (!n.proposals.empty()) {
    auto [request, data] = std::move(n.proposals.front());
    n.proposals.pop_front();
    if (n.raft->propose(std::move(data)) != raft::Error::kOk) {
      complete(request, Outcome::kFailed, std::nullopt, false);
    }
  }
  while (!n.reads_to_start.empty()) {
    const uint64_t request = n.reads_to_start.front();
    n.reads_to_start.pop_front();
    if (n.raft->read_index(std::to_string(request)) != raft::Error::kOk) {
      complete(request, Outcome::kFailed, std::nullopt, false);
    }
  }
  if (!n.raft->has_ready()) return;
  raft::Ready rd = n.raft->ready();
  for (const Message& m : rd.messages) send(m);
  if (bug_ == HostBug::kAckBeforeSync) {
    for (const Message& m : rd.messages_after_persist) send(m);
    rd.messages_after_persist.clear();
  }
  // The write lands in the disk's volatile cache now; the fsync completes after its latency.
  if (auto written = n.storage->write(rd.entries, rd.hard_state, rd.snapshot); !written) {
    host_failure(n,
                 fmt::format("storage write failed on node {}: {}", n.id, written.error().message));
    return;
  }
  n.syncing = std::move(rd);
  const Time latency = prng_.between(opt_.sync_min_us, opt_.sync_max_us);
  schedule(now_ + latency,
           Event{.kind = EventKind::kSyncDone, .node = n.id, .incarnation = n.incarnation});
  if (n.crash_armed && faults_on_ && latency > 0) {
    n.crash_armed = false;
    schedule(now_ + prng_.uniform(latency),  // Strictly before the fsync completes.
             Event{.kind = EventKind::kCrashInSync, .node = n.id, .incarnation = n.incarnation});
  }
}

void World::sync_done(Node& n) {
  raft::Ready rd = std::move(*n.syncing);
  n.syncing.reset();
  if (auto synced = n.storage->sync(); !synced) {
    host_failure(n,
                 fmt::format("storage sync failed on node {}: {}", n.id, synced.error().message));
    return;
  }
  if (rd.snapshot) {
    // A leader's snapshot replaces the state machine (the bootstrap one's data is empty).
    if (!n.kv.restore(rd.snapshot->data)) {
      host_failure(n, fmt::format("node {} received an unreadable snapshot at {}", n.id,
                                  rd.snapshot->metadata.index));
      return;
    }
    n.conf_state = rd.snapshot->metadata.conf_state;
    n.snapshot_index = rd.snapshot->metadata.index;
    if (n.snapshot_index > 1) ++coverage_.snapshots_installed;
  }
  for (const Message& m : rd.messages_after_persist) send(m);
  apply_committed(n, rd.committed_entries);
  for (const raft::ReadState& rs : rd.read_states) {
    n.reads_waiting.push_back({rs, std::stoull(rs.context)});
  }
  n.raft->advance();
  maybe_compact(n);
  serve_reads(n);
  pump(n);
}

// Compaction as a server does it: the state machine's image at the applied index becomes a
// durable snapshot and the log before it goes (but for snapshot_catch_up entries).
void World::maybe_compact(Node& n) {
  if (opt_.snapshot_every == 0 || !n.up) return;
  const raft::Index applied = n.raft->raft().log().applied();
  if (applied < n.snapshot_index + opt_.snapshot_every || applied > n.storage->last_index()) return;
  if (auto made = n.storage->create_snapshot(applied, n.conf_state, n.kv.image()); !made) {
    host_failure(n, fmt::format("snapshot failed on node {}: {}", n.id, made.error().message));
    return;
  }
  n.snapshot_index = applied;
  ++coverage_.snapshots_made;
}

void World::apply_committed(Node& n, const std::vector<Entry>& entries) {
  for (const Entry& e : entries) {
    const bool replay = e.index <= n.replay_until;
    if (!replay) n.applied.push_back(e);
    if (e.type == raft::EntryType::kConfChange) {
      auto cc = raft::decode_conf_change(e.data);
      REGENT_ASSERT(cc.has_value(), "node {} cannot decode committed conf change {}", n.id,
                    e.index);
      n.conf_state = n.raft->apply_conf_change(*cc);
      continue;
    }
    auto cmd = decode_command(e.data);
    if (!cmd) continue;  // The no-op.
    const bool swapped = n.kv.apply(*cmd);
    auto it = pending_.find(cmd->request_id);
    if (!replay && it != pending_.end() && it->second.node == n.id &&
        it->second.incarnation == n.incarnation) {
      complete(cmd->request_id, Outcome::kOk, std::nullopt, swapped);
    }
  }
}

void World::serve_reads(Node& n) {
  const raft::Index applied = n.raft->raft().log().applied();
  std::erase_if(n.reads_waiting, [&](const auto& waiting) {
    if (waiting.first.index > applied) return false;
    auto it = pending_.find(waiting.second);
    if (it != pending_.end() && it->second.node == n.id) {
      const Operation& op = history_[it->second.history_index];
      complete(waiting.second, Outcome::kOk, n.kv.get(op.key), false);
    }
    return true;
  });
}

void World::send(const Message& m) {
  const bool lost = !link_up(m.from, m.to) || (faults_on_ && prng_.chance(opt_.loss_percent, 100));
  if (m.type == raft::MessageType::kSnapshot) {
    // A snapshot goes over a stream whose end the sender sees, as etcd's transport reports it;
    // without the report a leader would wait for the follower forever.
    const Node& from = *nodes_.at(m.from);
    schedule(now_ + opt_.delay_max_us, Event{.kind = EventKind::kSnapshotStatus,
                                             .node = m.from,
                                             .incarnation = from.incarnation,
                                             .id = lost ? 0u : 1u,
                                             .message = m});
  }
  if (lost) return;
  const int copies = faults_on_ && prng_.chance(opt_.duplicate_percent, 100) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    const Time delay = prng_.between(opt_.delay_min_us, opt_.delay_max_us);
    schedule(now_ + delay, Event{.kind = EventKind::kDeliver, .node = m.to, .message = m});
  }
}

bool World::link_up(NodeId from, NodeId to) const { return !blocked_.contains({from, to}); }

void World::dispatch(const Event& e) {
  Node* n = e.node != raft::kNone ? nodes_.at(e.node).get() : nullptr;
  switch (e.kind) {
    case EventKind::kDeliver:
      if (n->up && link_up(e.message.from, e.message.to)) {
        n->inbox.push_back(e.message);
        pump(*n);
      }
      break;
    case EventKind::kTick:
      if (e.incarnation != n->incarnation) break;
      ++n->ticks;
      pump(*n);
      schedule(now_ + static_cast<Time>(opt_.tick_us * n->skew), e);
      break;
    case EventKind::kSyncDone:
      if (n->up && e.incarnation == n->incarnation && n->syncing) sync_done(*n);
      break;
    case EventKind::kClientStart:
      client_start(e.id);
      break;
    case EventKind::kClientTimeout:
      client_timeout(e.id);
      break;
    case EventKind::kNemesis:
      nemesis();
      break;
    case EventKind::kIsolate:
      if (faults_on_) isolate(e.node);
      break;
    case EventKind::kSnapshotStatus:
      if (!n->up || e.incarnation != n->incarnation || !n->raft) break;
      if (n->syncing) {  // Inputs wait while the node is busy with its fsync.
        schedule(now_ + opt_.sync_max_us, e);
        break;
      }
      n->raft->report_snapshot(e.message.to, e.id == 1);
      pump(*n);
      break;
    case EventKind::kCrashInSync:
      if (faults_on_ && n->up && e.incarnation == n->incarnation && n->syncing) {
        if (leader() == n->id) leader_lost_at_ = now_;
        trace(fmt::format("node {} loses power during its fsync", n->id));
        crash(*n);
      }
      break;
  }
}

bool World::step() {
  if (queue_.empty()) return false;
  Event e = queue_.top();
  queue_.pop();
  REGENT_ASSERT(e.at >= now_, "time went back");
  now_ = e.at;
  ++events_;
  dispatch(e);
  return true;
}

std::string World::check_safety(bool full) {
  if (!host_failure_.empty()) return host_failure_;
  std::vector<MemberView> views;
  // A crashed node has no core in memory; what it applied before was checked then.
  for (const auto& [id, n] : nodes_) {
    if (n->raft) views.push_back({id, &n->raft->raft(), n->up, &n->applied});
    // The core's own invariants (raft.h), after every event in every build: RawNode checks them
    // only in debug builds, and the simulator runs Release in CI.
    if (n->up && n->raft) n->raft->raft().check_invariants();
  }
  std::string problem = safety_.observe(views, full);
  const auto lead = leader();
  if (lead != last_leader_) {
    if (lead) {
      trace(fmt::format("leader {} term {}", *lead, nodes_.at(*lead)->raft->raft().term()));
      if (opt_.flap_leaders && faults_on_) {
        schedule(now_ + prng_.between(0, opt_.flap_delay_max_us),
                 Event{.kind = EventKind::kIsolate, .node = *lead});
      }
      if (leader_lost_at_) failover_times_.push_back(now_ - *leader_lost_at_);
      leader_lost_at_.reset();
    }
    last_leader_ = lead;
  }
  return problem;
}

std::optional<NodeId> World::leader() const {
  std::optional<NodeId> best;
  raft::Term term = 0;
  for (const auto& [id, n] : nodes_) {
    if (!n->up) continue;
    const raft::Raft& r = n->raft->raft();
    if (r.role() == raft::Role::kLeader && (!best || r.term() > term)) {
      best = id;
      term = r.term();
    }
  }
  return best;
}

void World::trace(std::string line) {
  trace_.push_back(fmt::format("{:>10}us {}", now_, line));
  if (trace_.size() > kTraceLines) trace_.pop_front();
}

RunResult World::run() {
  RunResult result;
  auto fail = [&](std::string violation) {
    result.ok = false;
    result.violation = std::move(violation);
    for (const auto& line : trace_) result.trace += line + "\n";
  };
  // Booting may have failed already.
  if (std::string problem = check_safety(); !problem.empty()) fail(problem);
  // Safety phase: faults on, every invariant after every event.
  for (uint64_t i = 0; result.ok && i < opt_.steps && step(); ++i) {
    if (std::string problem = check_safety(); !problem.empty()) {
      fail(problem);
      break;
    }
  }
  // Liveness phase: faults stop; a write must commit within the bound.
  if (result.ok) {
    heal_everything();
    if (std::string problem = check_safety(); !problem.empty()) fail(problem);  // A restart.
    const uint64_t before = completed_writes_;
    const Time deadline = now_ + opt_.liveness_bound_us;
    while (result.ok && now_ < deadline && completed_writes_ == before && step()) {
      if (std::string problem = check_safety(); !problem.empty()) {
        fail(problem);
        break;
      }
    }
    if (result.ok && completed_writes_ == before) {
      fail(fmt::format("liveness: no client write committed within {}us after faults stopped",
                       opt_.liveness_bound_us));
    }
  }
  if (result.ok) {
    if (std::string problem = check_safety(true); !problem.empty()) fail(problem);
  }
  if (result.ok) {
    const LinearizabilityResult lin = check_linearizable(history_);
    if (!lin.linearizable) {
      fail(fmt::format("linearizability: key {}: {}", lin.key, lin.explanation));
    }
  }
  result.storage = coverage_;
  for (const auto& [id, n] : nodes_) {
    if (n->storage) result.storage.segments_created += n->storage->stats().segments_created;
    result.storage.file_syncs += n->fs->stats().file_syncs;
    result.storage.dir_syncs += n->fs->stats().dir_syncs;
    result.storage.bytes_written += n->fs->stats().bytes_written;
  }
  result.events = events_;
  result.operations = completed_ok_;
  result.sim_time_us = now_;
  return result;
}

}  // namespace regent::sim
