// The Ring (Chang and Roberts) core's own rules, on a lossless instant network (mesh.h); what it
// shares with Bully is in election_core_test.cc.
#include "sim/algos/ring.h"

#include <gtest/gtest.h>

#include "unit/sim_algos/mesh.h"

namespace regent::sim::algos::ring {
namespace {

using RingMesh = testing::Mesh<Ring, Config>;

// Long enough for dead successors to be skipped and the round finished.
constexpr int kRoundTicks = 60;

TEST(RingTest, OneInitiatorsElectionGoesRoundOnceAndElectsTheHighest) {
  RingMesh mesh(4);
  mesh.core(2).start_election();
  mesh.run(2);
  EXPECT_EQ(mesh.leaders(), std::set<MemberId>{4});
  EXPECT_EQ(mesh.views(), std::set<MemberId>{4});
  // Chang and Roberts from one initiator: ELECTION 2->3 (3 puts in its own id), 3->4 (4 puts
  // in its own), then 4->1->2->3->4 (6 hops); ELECTED 4->1->2->3->4 (4 hops); an ACK per hop
  // (10); then one tick of 4's heartbeats (3).
  EXPECT_EQ(mesh.delivered(), 6u + 4 + 10 + 3);
}

TEST(RingTest, SkipsADeadSuccessor) {
  RingMesh mesh(5);
  mesh.kill(3);  // Member 2's successor: every message 2 sends must go on to 4 instead.
  mesh.start_all();
  mesh.run(kRoundTicks);
  EXPECT_EQ(mesh.leaders(), std::set<MemberId>{5});
  EXPECT_EQ(mesh.views(), std::set<MemberId>{5});
}

TEST(RingTest, AMemberWhoseSuccessorsAreAllSilentLeadsAlone) {
  // What a partition looks like from inside: the ring takes silent for dead.
  RingMesh mesh(3);
  mesh.kill(2);
  mesh.kill(3);
  mesh.start_all();
  mesh.run(kRoundTicks);
  EXPECT_EQ(mesh.leaders(), std::set<MemberId>{1});
}

}  // namespace
}  // namespace regent::sim::algos::ring
