// The three algorithms in the comparison world (sim/algos/election_world.h), over seeds that
// regent-sim replays: Raft must show neither split brain nor a lost acknowledged write; Bully
// and Ring must show both under the partition and pause seeds docs/ELECTION-ALGORITHMS.md names.
#include "sim/algos/compare.h"

#include <gtest/gtest.h>

namespace regent::sim::algos {
namespace {

// Seeds whose worlds have partitions and no other process fault (regent-sim --algorithm bully
// --seed 42 --verbose shows the two leaders), and pauses alone (seed 290).
constexpr uint64_t kPartitionSeed = 42;
constexpr uint64_t kPauseSeed = 290;

// The sanitizer tree runs the Raft core's invariant checks after every input (a Debug build),
// some fifty times slower: it covers fewer seeds with the same code, as the node simulator does.
#if defined(__SANITIZE_ADDRESS__)
constexpr uint64_t kRaftSeeds = 8;
#else
constexpr uint64_t kRaftSeeds = 40;
#endif

TEST(CompareTest, RaftNeverHasTwoActingLeadersNorLosesAnAcknowledgedWrite) {
  Micros stale_us = 0;
  uint64_t acked = 0;
  for (uint64_t seed = 1; seed <= kRaftSeeds; ++seed) {
    SCOPED_TRACE(seed);
    const RunResult r = run_seed(Algorithm::kRaft, seed);
    EXPECT_EQ(r.split_brain_us, 0u);
    EXPECT_LE(r.max_acting, 1u);
    EXPECT_EQ(r.acked_lost, 0u) << describe(r);
    EXPECT_TRUE(r.agreed_at_end) << describe(r);
    EXPECT_FALSE(r.heals.empty()) << "the end of the fault phase heals every world";
    stale_us += r.stale_leader_us;
    acked += r.acked;
  }
  // The worlds did make Raft leaders that still believed they led after losing their majority
  // (the case "acting as leader" excludes), and writes were acknowledged to lose.
  EXPECT_GT(stale_us, 0u);
  EXPECT_GT(acked, 0u);
}

TEST(CompareTest, BullyHasTwoLeadersAndLosesAcknowledgedWritesUnderAPartition) {
  const auto options = WorldOptions::from_seed(kPartitionSeed);
  ASSERT_TRUE(options.partitions && !options.crashes && !options.pauses) << options.describe();
  const RunResult r = run_seed(Algorithm::kBully, kPartitionSeed);
  EXPECT_GT(r.split_brain_us, 0u);
  EXPECT_GE(r.max_acting, 2u);
  EXPECT_GT(r.acked_lost, 0u);
  EXPECT_TRUE(r.agreed_at_end) << "the damage is done even though the partition heals";
}

TEST(CompareTest, RingHasTwoLeadersAndLosesAcknowledgedWritesUnderAPartition) {
  const RunResult r = run_seed(Algorithm::kRing, kPartitionSeed);
  EXPECT_GT(r.split_brain_us, 0u);
  EXPECT_GT(r.acked_lost, 0u);
}

TEST(CompareTest, BullyLosesAcknowledgedWritesWhenItsLeaderPauses) {
  const auto options = WorldOptions::from_seed(kPauseSeed);
  ASSERT_TRUE(options.pauses && !options.crashes && !options.partitions) << options.describe();
  const RunResult r = run_seed(Algorithm::kBully, kPauseSeed);
  EXPECT_GT(r.acked_lost, 0u);
  // Raft in the same world: the paused leader's successor keeps what was acknowledged.
  EXPECT_EQ(run_seed(Algorithm::kRaft, kPauseSeed).acked_lost, 0u);
}

TEST(CompareTest, ASeedReplaysExactly) {
  for (Algorithm a : {Algorithm::kRaft, Algorithm::kBully, Algorithm::kRing}) {
    SCOPED_TRACE(to_string(a));
    const RunResult first = run_seed(a, 7);
    const RunResult second = run_seed(a, 7);
    EXPECT_EQ(describe(first), describe(second));
    EXPECT_EQ(first.messages, second.messages);
  }
}

TEST(CompareTest, TheThreeMeetTheSameFaultSchedule) {
  // Same seed, same world: what the fault stream decides cannot depend on the algorithm.
  std::vector<std::string> faults[3];
  int i = 0;
  for (Algorithm a : {Algorithm::kRaft, Algorithm::kBully, Algorithm::kRing}) {
    run_seed(a, kPartitionSeed, 0, [&](const std::string& line) {
      // Partitions and heals are chosen without looking at any member; keep those.
      if (line.find("partition") != std::string::npos) {
        faults[i].push_back(line.substr(0, line.find(' ')) + line.substr(line.find(':')));
      }
    });
    ++i;
  }
  ASSERT_FALSE(faults[0].empty());
  EXPECT_EQ(faults[0], faults[1]);
  EXPECT_EQ(faults[0], faults[2]);
}

TEST(CompareTest, TableHasARowPerAlgorithmWithTheNamedColumns) {
  std::vector<Summary> rows;
  for (Algorithm a : {Algorithm::kRaft, Algorithm::kBully}) rows.push_back(run_seeds(a, 1, 2));
  const std::string table = format_table(rows);
  for (const char* column :
       {"split_brain_ms", "elect_ms_p50", "messages_per_election", "acked_writes_lost"}) {
    EXPECT_NE(table.find(column), std::string::npos) << column;
  }
  EXPECT_NE(table.find("\nraft "), std::string::npos) << table;
  EXPECT_NE(table.find("\nbully "), std::string::npos) << table;
  EXPECT_EQ(rows[0].seeds, 2u);
}

}  // namespace
}  // namespace regent::sim::algos
