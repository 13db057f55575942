// One simulated world: the production node core (server/node/node_core.h) on every node, with
// the real Raft core, storage, state machine (kv::Store behind server::StateMachine) and
// snapshots, in a simulated clock, network and disk, with concurrent clients of the replicated
// store and a nemesis injecting faults. Everything is driven by one seeded PRNG through a single
// event queue, so a seed replays a run exactly.
//
// The host here is as thin as regentd's threads: it delivers messages, ticks and client requests
// to the core, and does what the core asks (send, sync, take an image, answer), choosing when
// each completion arrives. The fault model:
//  - network: per-message loss, duplication and delay (which reorders); partitions, symmetric,
//    asymmetric (A hears B, B does not hear A) and bridged (one node sees both sides);
//  - disk: each node runs the real storage (storage::DiskStorage: write-ahead log, snapshot
//    files) over its own simulated disk (sim_fs.h). The core writes a round to the disk's
//    volatile cache at once; the sync the core asks for completes after a random latency, and
//    the core takes inputs meanwhile (it holds them for the next round). A crash loses what was
//    not synced, except for a random subset of 512-byte sectors when the write is torn
//    (torn_percent);
//  - snapshots: the core asks for an image every snapshot_every applied entries; the host takes
//    it at once and hands it back after a random delay, while the node goes on applying (as
//    regentd's background image does); a follower too far behind gets the leader's snapshot,
//    which the core saves and installs; the sender learns whether it got through;
//  - nodes: crash and restart at any moment; a restart runs the real recovery code on what the
//    disk kept, and a recovery that fails is a violation (as is any failed write or sync);
//  - clock: each node's tick runs at its own rate (skew);
//  - membership: leadership transfers, members removed and added while faults go on.
//
// After every event the safety checker runs (Raft's five properties), with the Raft core's and
// the node core's own invariants, and every node's store must hold the same revision at the same
// applied index; at the end the client history must be linearizable, and once faults stop a
// write must commit within a bound.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "common/logger.h"
#include "common/prng.h"
#include "raft/raw_node.h"
#include "server/node/image_job.h"
#include "server/node/node_core.h"
#include "server/node/state_machine.h"
#include "sim/history.h"
#include "sim/options.h"
#include "sim/safety_checker.h"
#include "sim/sim_fs.h"
#include "storage/disk_storage.h"

namespace regent::sim {

// A host bug to configure on purpose, to prove the checkers catch what they claim to (the node
// core's own broken orderings are server::NodeFault, in Options).
enum class HostBug {
  kNone,
  // Serve reads from the node's local state at once, skipping ReadIndex: a deposed leader or a
  // lagging follower answers with stale data.
  kLocalReads,
};

// What the nodes' storage went through in a run, summed over nodes: shows that runs exercise
// recovery, torn tails and segment rolls, and what a Raft round costs in syncs.
struct StorageCoverage {
  uint64_t recoveries = 0;           // Restarts that recovered from the disk.
  uint64_t torn_tails = 0;           // Recoveries that cut off a torn tail.
  uint64_t segments_created = 0;     // WAL segments, bootstrap's included.
  uint64_t snapshots_made = 0;       // Compactions (DiskStorage::create_snapshot).
  uint64_t snapshots_installed = 0;  // Leaders' snapshots saved by followers.
  uint64_t damage_refusals = 0;      // Restarts refused on synced data damaged at rest.
  uint64_t file_syncs = 0;           // File::sync() on the simulated disks.
  uint64_t dir_syncs = 0;
  uint64_t bytes_written = 0;
};

struct RunResult {
  bool ok = true;
  std::string violation;  // "" when ok.
  std::string trace;      // The last events before the violation, one per line.
  uint64_t events = 0;
  uint64_t operations = 0;      // Client operations that completed ok.
  uint64_t member_changes = 0;  // Cluster API membership changes applied (churn_with_records).
  Time sim_time_us = 0;
  StorageCoverage storage;
};

class World {
 public:
  explicit World(const Options& options, HostBug bug = HostBug::kNone);

  RunResult run();

  // For figures: simulated time from the leader's crash to the next leader, per crash.
  const std::vector<Time>& failover_times() const { return failover_times_; }

  // For tests: a node's simulated disk, to inject faults (SimFs::fail_next) before run().
  SimFs& disk(raft::NodeId id) { return *nodes_.at(id)->fs; }

 private:
  enum class EventKind {
    kDeliver,
    kTick,
    kSyncDone,
    kClientStart,
    kClientTimeout,
    kNemesis,
    kIsolate,
    kCrashInSync,     // An armed crash (Node::crash_armed) striking during an fsync.
    kSnapshotStatus,  // The sender learns whether its snapshot message got through (id: 1 or 0).
    kImageTaken,      // A snapshot image the core asked for is handed back (id: its index).
  };

  struct Event {
    Time at = 0;
    uint64_t seq = 0;  // Ties broken by scheduling order: deterministic.
    EventKind kind = EventKind::kTick;
    raft::NodeId node = raft::kNone;
    uint64_t incarnation = 0;  // Events for a crashed incarnation are void.
    uint64_t id = 0;           // Client or request id.
    raft::Message message;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  // Records what a node's core applies, for the safety checker and the revision check.
  class Recorder final : public server::NodeObserver {
   public:
    Recorder(World& world, raft::NodeId id) : world_(world), id_(id) {}
    void on_entry(const raft::Entry& e) override;
    void on_applied(raft::Index applied, int64_t revision) override;
    void on_snapshot_installed(raft::Index index) override;

   private:
    World& world_;
    raft::NodeId id_;
  };

  struct Node {
    raft::NodeId id = raft::kNone;
    bool up = true;
    uint64_t incarnation = 0;
    double skew = 1.0;
    std::unique_ptr<SimFs> fs;       // The node's disk: it outlives crashes.
    std::unique_ptr<Logger> logger;  // Storage warnings, into the run's trace.
    // The running process: null while the node is down (a crash destroys them, as a power loss
    // does the process's memory). The core reads through storage and applies to machine.
    std::unique_ptr<storage::DiskStorage> storage;
    std::unique_ptr<server::StateMachine> machine;
    std::unique_ptr<Recorder> recorder;
    std::unique_ptr<server::NodeCore> core;
    std::optional<uint64_t> syncing;  // The round whose sync is in flight.
    // Images begun (at the core's request), run and written when their kImageTaken comes, while
    // the node applies on: as regentd's image thread does. Destroyed before the machine.
    struct PendingImage {
      server::ImageJob job;
      raft::SnapshotMetadata metadata;
    };
    std::map<raft::Index, PendingImage> images;
    std::vector<raft::Entry> applied;
    raft::Index replay_until = 0;  // After a restart, entries up to here are replayed silently.
    bool crash_armed = false;      // The nemesis crashes it during its next fsync.
    bool damaged = false;          // Synced data on its disk was damaged while it was down.
    bool retired = false;          // Refused to start on that damage, as it must: down for good.
    bool running() const { return up && core && !core->stopped(); }
  };

  struct PendingOp {
    size_t history_index;
    raft::NodeId node;
    uint64_t incarnation;
  };

  // Event loop.
  void schedule(Time at, Event e);
  bool step();
  void dispatch(const Event& e);
  std::string check_safety(bool full = false);

  // Nodes and the Ready loop.
  void boot(raft::NodeId id, const raft::ConfState& cs);
  void restart(Node& n);
  bool open_storage(Node& n);
  void crash(Node& n);
  // Damages one synced record on a down node's disk (world_damage.cc); it must refuse to start.
  void damage_synced_data(Node& n);
  // Tells every other running node that `id`'s process is gone (Raft's report_leader_down).
  void report_down(raft::NodeId id);
  // The host cannot go on (recovery, a write or a sync failed): stops the node and ends the run
  // with this violation.
  void host_failure(Node& n, std::string problem);
  // Does what the node's core asks after an event: send, schedule the sync and the image, answer.
  void perform(Node& n);
  void perform(Node& n, server::NodeActions& actions);
  void sync_done(Node& n, uint64_t round);
  void image_done(Node& n, raft::Index index);
  server::Time host_time() const;

  // Network.
  void send(raft::Message m);
  bool link_up(raft::NodeId from, raft::NodeId to) const;

  // Clients.
  void client_start(uint64_t client);
  Operation new_operation(uint64_t client, uint64_t request, const Node& n);
  void client_timeout(uint64_t request_id);
  // A read through the core's ReadIndex, answered from the node's store once it may be.
  void start_read(Node& n, uint64_t request, const std::string& key);
  void start_write(Node& n, uint64_t request, const Operation& op);
  void complete(uint64_t request_id, Outcome outcome, std::optional<std::string> result,
                bool swapped);

  // Faults.
  void nemesis();
  void partition();
  void isolate(raft::NodeId id);
  void churn();
  void churn_with_records(Node& leader, const raft::ConfState& cs,
                          const std::vector<raft::NodeId>& outside);
  void heal_everything();
  std::optional<raft::NodeId> leader() const;

  void trace(std::string line);

  Options opt_;
  HostBug bug_;
  Prng prng_;
  Time now_ = 0;
  uint64_t seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  std::map<raft::NodeId, std::unique_ptr<Node>> nodes_;
  std::set<std::pair<raft::NodeId, raft::NodeId>> blocked_;  // Directed links that drop.
  bool faults_on_ = true;
  bool damaged_any_ = false;

  History history_;
  // Per client: the refused operation to retry, and how many times it was tried again.
  static constexpr int kMaxRetries = 3;
  std::map<uint64_t, std::pair<Operation, int>> retries_;
  std::map<uint64_t, PendingOp> pending_;
  uint64_t next_request_ = 1;
  uint64_t completed_ok_ = 0;
  uint64_t member_changes_applied_ = 0;  // Through churn_with_records.
  uint64_t completed_writes_ = 0;  // Puts and cas that completed ok: they went through the log.
  uint64_t events_ = 0;

  SafetyChecker safety_;
  std::string host_failure_;  // The first one; reported by check_safety().
  StorageCoverage coverage_;  // Counted as nodes restart and crash; completed by run().
  std::deque<std::string> trace_;
  // The store's revision at each applied index, as the first node to apply it had it: every node
  // must agree (the state machine is a function of the log; a wrong image breaks it).
  std::map<raft::Index, int64_t> revision_at_;
  std::string determinism_violation_;
  std::optional<raft::NodeId> last_leader_;
  std::optional<Time> leader_lost_at_;
  std::vector<Time> failover_times_;
};

}  // namespace regent::sim
