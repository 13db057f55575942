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
  // Every node, spares included, starts from the same bootstrap snapshot (an empty store, as
  // regentd's bootstrap writes it); a spare is not in its configuration and stays passive until
  // a membership change adds it.
  raft::Snapshot boot;
  boot.metadata = {.conf_state = cs, .index = 1, .term = 1};
  // The member table lists the configuration's members, as a bootstrapped cluster's does.
  std::vector<regentpb::Member> members;
  for (NodeId member : cs.voters) {
    regentpb::Member m;
    m.set_id(member);
    m.add_peer_urls(fmt::format("http://sim-{}:2380", member));
    members.push_back(std::move(m));
  }
  boot.data = server::StateMachine(std::move(members)).image();
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

server::Time World::host_time() const { return server::Time{} + std::chrono::microseconds(now_); }

void World::restart(Node& n) {
  if (n.retired) return;
  // Booting opened the storage already; after a crash, recovery runs here.
  if (!n.storage && !open_storage(n)) return;
  server::NodeOptions o;
  o.id = n.id;
  o.tick = std::chrono::milliseconds(std::max<Time>(1, opt_.tick_us / 1000));
  o.election_ticks = opt_.election_tick;
  o.snapshot_count = opt_.snapshot_every;
  o.request_timeout = std::chrono::milliseconds(opt_.op_timeout_us / 1000);
  o.pre_vote = opt_.pre_vote;
  o.check_quorum = opt_.check_quorum;
  o.strict_reconfig_check = opt_.strict_reconfig_check;
  o.campaign_on_leader_down = opt_.campaign_on_leader_down;
  o.max_msg_bytes = opt_.max_msg_bytes;
  o.seed = opt_.seed * 1000003 + n.id * 7919 + n.incarnation;
  // Request ids never repeat across incarnations (the core's rule): each gets its own range.
  o.first_request_id = (n.incarnation + 1) << 40;
  o.fault = opt_.node_fault;
  // The state machine is rebuilt from the snapshot by replaying the log (it is not durable).
  if (!n.applied.empty()) n.replay_until = std::max(n.replay_until, n.applied.back().index);
  n.applied.clear();
  n.machine = std::make_unique<server::StateMachine>();
  n.recorder = std::make_unique<Recorder>(*this, n.id);
  n.core = std::make_unique<server::NodeCore>(o, *n.storage, *n.machine, *n.logger);
  n.core->add_observer(*n.recorder);
  if (auto started = n.core->start(); !started) {
    host_failure(n, fmt::format("node {} cannot start: {}", n.id, started.error()));
    return;
  }
  n.up = true;
  ++n.incarnation;
  n.syncing.reset();
  schedule(now_ + static_cast<Time>(opt_.tick_us * n.skew),
           Event{.kind = EventKind::kTick, .node = n.id, .incarnation = n.incarnation});
}

void World::crash(Node& n) {
  // The disk first: it keeps what it keeps (unsynced sectors lost or torn), and the handles of
  // the dying process go dead, so nothing its destructors might do can reach the disk. Then the
  // process's memory goes: the core (which reads through the storage), the state machine and the
  // storage, whose directory lock the crash released. Its clients are never answered.
  REGENT_ASSERT(n.up && n.storage, "crash of node {}, which is not running", n.id);
  n.fs->crash(prng_, opt_.torn_percent);
  n.images.clear();
  n.core.reset();
  n.recorder.reset();
  n.machine.reset();
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
  ++n.incarnation;
  trace(fmt::format("crash {}", n.id));
  if (opt_.campaign_on_leader_down) report_down(n.id);
}

void World::report_down(raft::NodeId id) {
  for (auto& [other_id, other] : nodes_) {
    if (other_id == id || !other->running()) continue;
    other->core->report_peer_down(id);
    perform(*other);
  }
}

void World::schedule(Time at, Event e) {
  e.at = at;
  e.seq = seq_++;
  queue_.push(std::move(e));
}

void World::perform(Node& n) {
  // Again after an image: the core runs no further round until the image was taken.
  for (bool again = true; again && n.running();) {
    server::NodeActions a = n.core->take_actions();
    again = a.image.has_value();
    perform(n, a);
  }
}

void World::perform(Node& n, server::NodeActions& a) {
  for (Message& m : a.messages) send(std::move(m));
  for (server::Answer& answer : a.answers) answer();
  if (a.fatal) return host_failure(n, fmt::format("node {} stopped: {}", n.id, *a.fatal));
  if (a.image) {
    // Begun now, at the index the core asked for; run, written and handed back later, while
    // the node goes on applying.
    n.images.erase(a.image->index);
    n.images.emplace(a.image->index,
                     Node::PendingImage{n.machine->begin_image(), a.image->metadata});
    schedule(now_ + prng_.between(0, 4 * opt_.sync_max_us), Event{.kind = EventKind::kImageTaken,
                                                                  .node = n.id,
                                                                  .incarnation = n.incarnation,
                                                                  .id = a.image->index});
  }
  if (a.sync_round) {
    n.syncing = *a.sync_round;
    const Time latency = prng_.between(opt_.sync_min_us, opt_.sync_max_us);
    schedule(now_ + latency, Event{.kind = EventKind::kSyncDone,
                                   .node = n.id,
                                   .incarnation = n.incarnation,
                                   .id = *a.sync_round});
    if (n.crash_armed && faults_on_ && latency > 0) {
      n.crash_armed = false;
      schedule(now_ + prng_.uniform(latency),  // Strictly before the fsync completes.
               Event{.kind = EventKind::kCrashInSync, .node = n.id, .incarnation = n.incarnation});
    }
  }
}

void World::sync_done(Node& n, uint64_t round) {
  n.syncing.reset();
  if (auto synced = n.storage->sync(); !synced) {
    host_failure(n,
                 fmt::format("storage sync failed on node {}: {}", n.id, synced.error().message));
    return;
  }
  n.core->synced(round);
  perform(n);
}

void World::image_done(Node& n, raft::Index index) {
  auto it = n.images.find(index);
  if (it == n.images.end()) return;
  Node::PendingImage pending = std::move(it->second);
  n.images.erase(it);
  auto image = pending.job.run();
  if (!image) {
    n.core->image_failed(index, image.error());
  } else {
    raft::Snapshot snapshot{.data = std::move(*image), .metadata = pending.metadata};
    if (auto written = n.storage->write_snapshot_file(snapshot); !written) {
      return host_failure(
          n, fmt::format("snapshot file failed on node {}: {}", n.id, written.error().message));
    }
    const raft::Index before = n.core->snapshot_index();
    n.core->image_taken(index, snapshot.data.size());
    if (n.core->snapshot_index() != before) ++coverage_.snapshots_made;
    n.storage->remove_files(n.storage->take_files_to_remove());
  }
  perform(n);
}

void World::Recorder::on_entry(const raft::Entry& e) {
  Node& n = *world_.nodes_.at(id_);
  if (e.index > n.replay_until) n.applied.push_back(e);
}

void World::Recorder::on_snapshot_installed(raft::Index index) {
  if (index > 1) ++world_.coverage_.snapshots_installed;
}

void World::Recorder::on_applied(raft::Index applied, int64_t revision) {
  auto [it, first] = world_.revision_at_.emplace(applied, revision);
  if (!first && it->second != revision && world_.determinism_violation_.empty()) {
    world_.determinism_violation_ = fmt::format(
        "state machine divergence: node {} holds revision {} at applied index {}, another node "
        "held {}",
        id_, revision, applied, it->second);
  }
}

void World::send(Message m) {
  bool lost = !link_up(m.from, m.to) || (faults_on_ && prng_.chance(opt_.loss_percent, 100));
  if (m.type == raft::MessageType::kSnapshot) {
    const Node& from = *nodes_.at(m.from);
    Message status = m;
    // As regentd's transport does: the image comes from the sender's snapshot file as it goes.
    if (!lost && m.snapshot.data.empty()) {
      auto snapshot = from.storage->read_snapshot(m.snapshot.metadata);
      if (snapshot) {
        m.snapshot.data = std::move(snapshot->data);
      } else {
        lost = true;
      }
    }
    // A snapshot goes over a stream whose end the sender sees, as etcd's transport reports it;
    // without the report a leader would wait for the follower forever.
    schedule(now_ + opt_.delay_max_us, Event{.kind = EventKind::kSnapshotStatus,
                                             .node = m.from,
                                             .incarnation = from.incarnation,
                                             .id = lost ? 0u : 1u,
                                             .message = std::move(status)});
  }
  if (lost) return;
  // Any message may be duplicated but a forwarded proposal: it is not idempotent (a second copy
  // is a second write, in etcd's Raft as in ours), and a real member's peer streams never deliver
  // one twice (the transport never resends what it handed to a stream).
  const bool may_duplicate = m.type != raft::MessageType::kPropose;
  const int copies =
      faults_on_ && may_duplicate && prng_.chance(opt_.duplicate_percent, 100) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    const Time delay = prng_.between(opt_.delay_min_us, opt_.delay_max_us);
    schedule(now_ + delay, Event{.kind = EventKind::kDeliver, .node = m.to, .message = m});
  }
}

bool World::link_up(NodeId from, NodeId to) const { return !blocked_.contains({from, to}); }

void World::dispatch(const Event& e) {
  Node* n = e.node != raft::kNone ? nodes_.at(e.node).get() : nullptr;
  const bool current = n && n->running() && e.incarnation == n->incarnation;
  switch (e.kind) {
    case EventKind::kDeliver:
      if (n->running() && link_up(e.message.from, e.message.to)) {
        n->core->step({e.message});
        perform(*n);
      }
      break;
    case EventKind::kTick:
      if (e.incarnation != n->incarnation) break;
      if (n->running()) {
        n->core->tick(host_time());
        perform(*n);
      }
      schedule(now_ + static_cast<Time>(opt_.tick_us * n->skew), e);
      break;
    case EventKind::kSyncDone:
      if (current && n->syncing == e.id) sync_done(*n, e.id);
      break;
    case EventKind::kImageTaken:
      if (current) image_done(*n, e.id);
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
      if (!current) break;
      n->core->report_snapshot(e.message.to, e.id == 1);
      perform(*n);
      break;
    case EventKind::kCrashInSync:
      if (faults_on_ && current && n->syncing) {
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
  if (!determinism_violation_.empty()) return determinism_violation_;
  std::vector<MemberView> views;
  // A crashed node has no core in memory; what it applied before was checked then.
  for (const auto& [id, n] : nodes_) {
    if (n->core) views.push_back({id, &n->core->raft(), n->up, &n->applied});
    // The Raft core's and the node core's own invariants (raft.h, node_core.h), after every
    // event in every build: RawNode checks them only in debug builds, and CI runs Release.
    if (n->running()) n->core->check_invariants();
  }
  std::string problem = safety_.observe(views, full);
  const auto lead = leader();
  if (lead != last_leader_) {
    if (lead) {
      trace(fmt::format("leader {} term {}", *lead, nodes_.at(*lead)->core->raft().term()));
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
    if (!n->running()) continue;
    const raft::Raft& r = n->core->raft();
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
  result.member_changes = member_changes_applied_;
  result.sim_time_us = now_;
  return result;
}

}  // namespace regent::sim
