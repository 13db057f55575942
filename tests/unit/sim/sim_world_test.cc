// The simulated world as a whole: a seed replays a run exactly, healthy seeds pass, and host bugs
// that break a promise are caught (a test of a checker must be able to fail).
#include <gtest/gtest.h>

#include <cerrno>
#include <iostream>

#include "sim/options.h"
#include "sim/sim_fs.h"
#include "sim/world.h"

namespace regent::sim {
namespace {

RunResult run(uint64_t seed, HostBug bug = HostBug::kNone, uint64_t steps = 20000) {
  Options o = Options::from_seed(seed);
  o.steps = steps;
  World w(o, bug);
  return w.run();
}

TEST(SimWorld, SameSeedReplaysTheSameRun) {
  for (uint64_t seed : {3u, 17u}) {
    SCOPED_TRACE(seed);
    const RunResult a = run(seed);
    const RunResult b = run(seed);
    EXPECT_EQ(a.events, b.events);
    EXPECT_EQ(a.operations, b.operations);
    EXPECT_EQ(a.sim_time_us, b.sim_time_us);
    EXPECT_EQ(a.trace, b.trace);
  }
}

TEST(SimWorld, MembershipChurnThroughTheClusterApiApplies) {
  // Worlds whose churn goes through NodeCore::propose_member_change (member records in the
  // entries, the leader's checks) change their membership and pass every check.
  uint64_t changes = 0;
  int worlds = 0;
  for (uint64_t seed = 1; seed <= 200 && worlds < 4; ++seed) {
    if (!Options::from_seed(seed).churn_with_records) continue;
    ++worlds;
    const RunResult r = run(seed);
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.violation << "\n" << r.trace;
    changes += r.member_changes;
  }
  EXPECT_EQ(worlds, 4);
  EXPECT_GT(changes, 0u);
}

TEST(SimWorld, DifferentSeedsBuildDifferentWorlds) {
  EXPECT_NE(Options::from_seed(1).describe(), Options::from_seed(2).describe());
  EXPECT_NE(run(1).sim_time_us, run(2).sim_time_us);
}

TEST(SimWorld, HealthySeedsPassEveryCheckAndMakeProgress) {
  size_t steady_worlds = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(seed);
    const RunResult r = run(seed);
    EXPECT_TRUE(r.ok) << r.violation << "\n" << r.trace;
    // Where leaders are cut off as soon as they are elected, little completes by design; the
    // liveness phase (already part of r.ok) is what must hold there.
    if (!Options::from_seed(seed).flap_leaders) {
      ++steady_worlds;
      EXPECT_GT(r.operations, 10u);
    }
  }
  EXPECT_GE(steady_worlds, 3u);
}

TEST(SimWorld, RunsTheRealStorageThroughCrashesAndSegmentRolls) {
  // The nodes' disks are SimFs under storage::DiskStorage: a handful of seeds must restart nodes
  // from their disks and roll segments, or the simulator tests little of the storage.
  StorageCoverage total;
  uint64_t nodes = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE(seed);
    const RunResult r = run(seed);
    ASSERT_TRUE(r.ok) << r.violation << "\n" << r.trace;
    const Options o = Options::from_seed(seed);
    nodes += o.members + o.spares;
    total.recoveries += r.storage.recoveries;
    total.torn_tails += r.storage.torn_tails;
    total.segments_created += r.storage.segments_created;
    total.file_syncs += r.storage.file_syncs;
    total.bytes_written += r.storage.bytes_written;
    total.snapshots_made += r.storage.snapshots_made;
    total.snapshots_installed += r.storage.snapshots_installed;
  }
  std::cout << "12 worlds: " << total.recoveries << " recoveries, " << total.torn_tails
            << " torn tails cut, " << total.segments_created << " segments for " << nodes
            << " nodes, " << total.file_syncs << " file syncs, " << total.bytes_written
            << " bytes written, " << total.snapshots_made << " snapshots made, "
            << total.snapshots_installed << " installed\n";
  EXPECT_GE(total.recoveries, 20u);
  EXPECT_GT(total.segments_created, nodes);  // One each at boot; more means segments rolled.
  EXPECT_GT(total.snapshots_made, 0u);       // Compaction, and so segment and snapshot purging.
}

TEST(SimWorld, LaggingFollowersCatchUpFromTheLeadersSnapshot) {
  // Worlds that compact often and keep no catch-up entries: a follower that was down or cut off
  // can only catch up from a snapshot, which it saves through storage and restores its map from
  // (linearizability checks the reads it then serves).
  uint64_t installed = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    SCOPED_TRACE(seed);
    Options o = Options::from_seed(seed);
    o.snapshot_every = 10;
    o.snapshot_catch_up = 0;
    World w(o);
    const RunResult r = w.run();
    ASSERT_TRUE(r.ok) << r.violation << "\n" << r.trace;
    installed += r.storage.snapshots_installed;
  }
  EXPECT_GT(installed, 0u);
}

TEST(SimWorld, AFailedSyncStopsTheRunWithTheNodeAndTheError) {
  Options o = Options::from_seed(4);
  World w(o);
  w.disk(2).fail_next(FsOp::kSync, EIO);
  const RunResult r = w.run();
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.violation.find("storage sync failed on node 2"), std::string::npos) << r.violation;
  EXPECT_NE(r.violation.find("Input/output error"), std::string::npos) << r.violation;
}

TEST(SimWorld, AFailedRecoveryIsAViolation) {
  // The next open() on every disk fails: the first one is a restart's recovery (or, if a segment
  // rolls first, that write fails). Within a few seeds some node recovers.
  bool recovery_failed = false;
  for (uint64_t seed = 1; seed <= 6 && !recovery_failed; ++seed) {
    SCOPED_TRACE(seed);
    Options o = Options::from_seed(seed);
    World w(o);
    for (raft::NodeId id = 1; id <= o.members + o.spares; ++id) {
      w.disk(id).fail_next(FsOp::kOpen, EIO);
    }
    const RunResult r = w.run();
    if (r.ok) continue;
    recovery_failed = r.violation.starts_with("recovery failed on node");
    EXPECT_TRUE(recovery_failed || r.violation.starts_with("storage write failed on node") ||
                r.violation.starts_with("snapshot file failed on node"))
        << r.violation;
  }
  EXPECT_TRUE(recovery_failed);
}

// Returns the first seed in [1, budget] whose run reports a violation, or 0.
uint64_t first_failing_seed(HostBug bug, uint64_t budget, std::string* violation) {
  for (uint64_t seed = 1; seed <= budget; ++seed) {
    const RunResult r = run(seed, bug);
    if (!r.ok) {
      *violation = r.violation;
      return seed;
    }
  }
  return 0;
}

TEST(SimWorld, CatchesStaleReadsServedWithoutReadIndex) {
  std::string violation;
  const uint64_t seed = first_failing_seed(HostBug::kLocalReads, 20, &violation);
  ASSERT_NE(seed, 0u) << "local reads went unnoticed in 20 seeds";
  EXPECT_NE(violation.find("linearizability"), std::string::npos) << violation;
}

// The node core's broken orderings (acknowledging before the sync, ...) are caught by the
// ctest tests sim.catches.* over the test variant of the core (regent-sim-node-faults).

}  // namespace
}  // namespace regent::sim
