// The Bully core's own rules, on a lossless instant network (mesh.h); what it shares with Ring
// is in election_core_test.cc.
#include "sim/algos/bully.h"

#include <gtest/gtest.h>

#include "unit/sim_algos/mesh.h"

namespace regent::sim::algos::bully {
namespace {

TEST(BullyTest, StartingLowestMemberAsksOnlyHigherOnes) {
  testing::Mesh<Bully, Config> mesh(3);
  mesh.core(1).start_election();
  const auto sent = mesh.core(1).take_messages();
  ASSERT_EQ(sent.size(), 2u);
  for (const Message& m : sent) {
    EXPECT_EQ(m.kind, Kind::kElection);
    EXPECT_GT(m.to, 1u);
  }
}

TEST(BullyTest, WithoutAnAnswerALowerMemberDeclaresItselfCoordinator) {
  // Higher members that do not answer in time are taken for dead, even if they are only slow.
  testing::Mesh<Bully, Config> mesh(3);
  mesh.kill(2);
  mesh.kill(3);
  mesh.start_all();
  mesh.run(Config{}.answer_ticks);
  EXPECT_EQ(mesh.leaders(), std::set<MemberId>{1});
}

TEST(BullyTest, HeartbeatsAreNotCountedAsElectionMessages) {
  EXPECT_TRUE(counts_as_election({.kind = Kind::kElection}));
  EXPECT_TRUE(counts_as_election({.kind = Kind::kAnswer}));
  EXPECT_TRUE(counts_as_election({.kind = Kind::kCoordinator}));
  EXPECT_FALSE(counts_as_election({.kind = Kind::kHeartbeat}));
}

}  // namespace
}  // namespace regent::sim::algos::bully
