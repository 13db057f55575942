// Everything that shapes one simulated run. One seed picks all of it (swarm testing): which
// faults are on and how hard they hit, so that different seeds explore different worlds.
#pragma once

#include <cstdint>
#include <string>

#include "server/node/fault_points.h"
#include "sim/history.h"

namespace regent::sim {

struct Options {
  uint64_t seed = 1;
  size_t members = 3;      // Voters at start: 3 or 5.
  size_t spares = 0;       // Extra nodes that membership churn may add.
  uint64_t steps = 20000;  // Events in the fault phase.

  // Time. A tick is tick_us of simulated time, scaled per node by its clock skew.
  Time tick_us = 10'000;
  int election_tick = 10;
  int heartbeat_tick = 1;
  uint32_t max_skew_percent = 5;
  bool pre_vote = true;
  bool check_quorum = true;
  // Members learn at once that a crashed node's process is gone (as a broken connection tells
  // them), and now and then are told so falsely of a live leader; see
  // raft::Config::campaign_on_leader_down.
  bool campaign_on_leader_down = false;
  // Append size limit. Tiny limits send one entry per append, so an old term's entry can reach a
  // majority without the new leader's no-op (the setting figure 8 of the Raft paper needs).
  uint64_t max_msg_bytes = 1 << 20;

  // Network: every message independently.
  uint32_t loss_percent = 0;
  uint32_t duplicate_percent = 0;
  Time delay_min_us = 100;
  Time delay_max_us = 5'000;  // Wide ranges reorder messages.

  // Disk: an fsync takes [sync_min_us, sync_max_us]; a crash loses what was not synced, except
  // that with torn_percent per file a random subset of its unsynced sectors survives (sim_fs.h).
  Time sync_min_us = 50;
  Time sync_max_us = 2'000;
  uint32_t torn_percent = 0;
  // The write-ahead log's segments: small, so that runs roll to new segments often.
  uint64_t wal_segment_bytes = 64 << 10;
  bool wal_preallocate = true;
  // The share of the nemesis's crashes that wait for the node's next write and strike while its
  // fsync is in flight: the window where torn tails and lost acknowledgements live.
  uint32_t crash_in_sync_percent = 0;
  // Filler bytes in every client command, so that entries span 512-byte sectors and a crash in
  // an fsync can tear one (storage's torn-tail recovery is then exercised).
  uint32_t command_padding_bytes = 0;
  // The share of restarts before which one synced record on the node's disk is damaged (a sector
  // zeroed or bits flipped, at most one node per run; never with churn, which could leave the
  // damaged node needed for a quorum). The node must refuse to start and stays down.
  uint32_t damage_percent = 0;
  // Snapshots: each node compacts its log every snapshot_every applied entries (0: never),
  // keeping snapshot_catch_up entries, so lagging followers get the leader's snapshot.
  uint64_t snapshot_every = 0;
  uint64_t snapshot_catch_up = 0;

  // Faults, one decision every nemesis_interval_us.
  Time nemesis_interval_us = 200'000;
  bool crashes = true;
  bool partitions = true;
  bool asymmetric = false;
  bool bridges = false;
  bool transfers = false;
  bool churn = false;
  // Churn as the Cluster API makes it (NodeCore::propose_member_change: the member's record in
  // the entry, the member table changed with the configuration, the leader's checks), rather
  // than bare configuration changes; with etcd's --strict-reconfig-check or without.
  bool churn_with_records = false;
  bool strict_reconfig_check = false;
  // Cut every new leader off within flap_delay_max_us of its election, before its entries reach
  // a majority: terms pile up with divergent minority logs, the ground figure 8 grows on.
  bool flap_leaders = false;
  Time flap_delay_max_us = 3'000;

  // Clients.
  size_t clients = 3;
  size_t keys = 3;
  Time op_timeout_us = 1'000'000;
  Time think_us = 20'000;

  // Liveness: once faults stop, a write must commit within this much simulated time.
  Time liveness_bound_us = 10'000'000;

  // A world chosen from the seed alone. members 0 = chosen by the seed (3 or 5).
  // An ordering of the node core broken on purpose (fault_points.h; the test variant only).
  server::NodeFault node_fault = server::NodeFault::kNone;

  static Options from_seed(uint64_t seed, size_t members = 0);
  // The same world tuned to expose a broken ordering quickly: slow syncs and frequent crashes
  // inside them, lagging followers, snapshots.
  Options& aim_at(server::NodeFault fault);
  std::string describe() const;
};

}  // namespace regent::sim
