// What Bully and Ring must both do on a lossless instant network (mesh.h): elect the highest
// id, and elect the next highest when the leader dies.
#include <gtest/gtest.h>

#include "sim/algos/bully.h"
#include "sim/algos/ring.h"
#include "unit/sim_algos/mesh.h"

namespace regent::sim::algos {
namespace {

template <class Core, class Config>
struct CoreKind {
  using Mesh = testing::Mesh<Core, Config>;
};

template <class Kind>
class ElectionCoreTest : public ::testing::Test {};

using Kinds =
    ::testing::Types<CoreKind<bully::Bully, bully::Config>, CoreKind<ring::Ring, ring::Config>>;
TYPED_TEST_SUITE(ElectionCoreTest, Kinds);

// Long enough for a failure to be suspected, dead successors skipped and a round finished.
constexpr int kReelectTicks = 60;

TYPED_TEST(ElectionCoreTest, HighestIdWinsInAHealthyNetwork) {
  typename TypeParam::Mesh mesh(5);
  mesh.start_all();
  mesh.run(5);
  EXPECT_EQ(mesh.leaders(), std::set<MemberId>{5});
  EXPECT_EQ(mesh.views(), std::set<MemberId>{5});
}

TYPED_TEST(ElectionCoreTest, CrashOfTheLeaderTriggersAReelection) {
  typename TypeParam::Mesh mesh(5);
  mesh.start_all();
  mesh.run(5);
  ASSERT_EQ(mesh.leaders(), std::set<MemberId>{5});
  mesh.kill(5);
  mesh.run(kReelectTicks);
  EXPECT_EQ(mesh.leaders(), std::set<MemberId>{4});
  EXPECT_EQ(mesh.views(), std::set<MemberId>{4});
}

TYPED_TEST(ElectionCoreTest, RestartedHighestMemberTakesLeadershipBack) {
  typename TypeParam::Mesh mesh(4);
  mesh.start_all();
  mesh.kill(4);
  mesh.run(kReelectTicks);
  ASSERT_EQ(mesh.leaders(), std::set<MemberId>{3});
  mesh.revive(4);
  mesh.run(kReelectTicks);
  EXPECT_EQ(mesh.leaders(), std::set<MemberId>{4});
  EXPECT_EQ(mesh.views(), std::set<MemberId>{4});
}

}  // namespace
}  // namespace regent::sim::algos
