// What a starting member asks its peers, with their answers scripted: etcd's
// isMemberBootstrapped (server/bootstrapped_check.h), whether it was removed while down
// (removed_check.h), and which cluster it joins with --initial-cluster-state existing
// (join_cluster.h).
#include "server/bootstrapped_check.h"

#include <gtest/gtest.h>

#include <map>

#include "server/join_cluster.h"
#include "server/removed_check.h"

namespace regent::server {
namespace {

ClusterConfig three(const std::string& name) {
  ClusterFlags f;
  f.name = name;
  const std::map<std::string, int> ports = {{"a", 2380}, {"b", 2480}, {"c", 2580}};
  f.listen_peer_urls = {fmt::format("http://127.0.0.1:{}", ports.at(name))};
  f.initial_cluster = "a=http://127.0.0.1:2380,b=http://127.0.0.1:2480,c=http://127.0.0.1:2580";
  auto c = resolve_cluster(f);
  EXPECT_TRUE(c.has_value()) << c.error();
  return *c;
}

// The member table a peer of `c` answers with; `published` members have client URLs.
regentpb::MembersResponse table(const ClusterConfig& c, std::vector<uint64_t> published) {
  regentpb::MembersResponse r;
  r.set_cluster_id(c.cluster_id);
  for (regentpb::Member m : c.members) {
    if (std::find(published.begin(), published.end(), m.id()) != published.end()) {
      m.add_client_urls("http://127.0.0.1:1");
    }
    *r.add_members() = m;
  }
  return r;
}

AskPeer answering(std::map<std::string, Expected<regentpb::MembersResponse, std::string>> by) {
  return [by](const std::string& address) -> Expected<regentpb::MembersResponse, std::string> {
    auto it = by.find(address);
    if (it == by.end()) return unexpected(address + ": connection refused");
    return it->second;
  };
}

TEST(BootstrappedCheck, NoPeerAnsweringLetsANewClusterStart) {
  NullLogger logger;
  EXPECT_TRUE(check_not_bootstrapped(three("a"), "a.regent", answering({}), logger).has_value());
}

TEST(BootstrappedCheck, PeersThatNeverSawTheMemberPublishedLetItStart) {
  NullLogger logger;
  const ClusterConfig c = three("c");
  std::vector<uint64_t> others;
  for (const auto& m : c.members) {
    if (m.id() != c.self_id) others.push_back(m.id());
  }
  auto ask = answering({{"127.0.0.1:2380", table(c, others)}, {"127.0.0.1:2480", table(c, {})}});
  EXPECT_TRUE(check_not_bootstrapped(c, "c.regent", ask, logger).has_value());
}

TEST(BootstrappedCheck, APeerThatKnowsTheMemberPublishedRefusesTheStart) {
  NullLogger logger;
  const ClusterConfig c = three("c");
  auto ask = answering({{"127.0.0.1:2480", table(c, {c.self_id})}});
  auto refused = check_not_bootstrapped(c, "/data/c.regent", ask, logger);
  ASSERT_FALSE(refused.has_value());
  const std::string& e = refused.error();
  EXPECT_NE(e.find(fmt::format("member {:x} has already been bootstrapped", c.self_id)),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("/data/c.regent"), std::string::npos) << e;
  EXPECT_NE(e.find("member remove"), std::string::npos) << e;
  EXPECT_NE(e.find("member add"), std::string::npos) << e;
}

TEST(BootstrappedCheck, AnotherClustersAnswerIsNoEvidence) {
  NullLogger logger;
  const ClusterConfig c = three("c");
  regentpb::MembersResponse foreign = table(c, {c.self_id});
  foreign.set_cluster_id(c.cluster_id + 1);
  auto ask = answering({{"127.0.0.1:2380", foreign}});
  EXPECT_TRUE(check_not_bootstrapped(c, "c.regent", ask, logger).has_value());
}

// `c`'s table without member `gone`.
regentpb::MembersResponse without(const ClusterConfig& c, uint64_t gone) {
  regentpb::MembersResponse r = table(c, {});
  r.clear_members();
  for (const regentpb::Member& m : c.members) {
    if (m.id() != gone) *r.add_members() = m;
  }
  return r;
}

TEST(RemovedCheck, AMajorityNotListingTheMemberRefusesItsRestart) {
  NullLogger logger;
  const ClusterConfig c = three("c");
  auto ask = answering(
      {{"127.0.0.1:2380", without(c, c.self_id)}, {"127.0.0.1:2480", without(c, c.self_id)}});
  auto refused = check_not_removed(c, "/data/c.regent", ask, logger);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find(fmt::format("member {:x} was removed", c.self_id)),
            std::string::npos)
      << refused.error();
}

TEST(RemovedCheck, OneNotListingItOrOneListingItOrAnotherClusterIsNoEvidence) {
  NullLogger logger;
  const ClusterConfig c = three("c");
  // A lagging peer alone (the other down): not a majority of three.
  EXPECT_TRUE(
      check_not_removed(c, "d", answering({{"127.0.0.1:2380", without(c, c.self_id)}}), logger)
          .has_value());
  // One peer lists it: it was added and is still a member.
  EXPECT_TRUE(check_not_removed(c, "d",
                                answering({{"127.0.0.1:2380", without(c, c.self_id)},
                                           {"127.0.0.1:2480", table(c, {})}}),
                                logger)
                  .has_value());
  regentpb::MembersResponse foreign = without(c, c.self_id);
  foreign.set_cluster_id(c.cluster_id + 1);
  EXPECT_TRUE(
      check_not_removed(
          c, "d", answering({{"127.0.0.1:2380", foreign}, {"127.0.0.1:2480", foreign}}), logger)
          .has_value());
  EXPECT_TRUE(check_not_removed(c, "d", answering({}), logger).has_value());
}

TEST(JoinCluster, TheMemberFindsItsIdByItsPeerUrlsAndTheClusterIdFromThePeers) {
  NullLogger logger;
  const ClusterConfig c = three("c");
  regentpb::MembersResponse running = without(c, c.self_id);
  running.set_cluster_id(0xabc);
  regentpb::Member added;
  added.set_id(0x99);
  added.add_peer_urls("http://127.0.0.1:2580");
  added.set_is_learner(true);
  *running.add_members() = added;
  auto joined = find_cluster_to_join(c, "c", answering({{"127.0.0.1:2480", running}}), logger);
  ASSERT_TRUE(joined.has_value()) << joined.error();
  EXPECT_EQ(joined->cluster_id, 0xabcu);
  EXPECT_EQ(joined->self_id, 0x99u);
  const ClusterConfig after = joined_config(c, *joined);
  EXPECT_EQ(after.self_id, 0x99u);
  EXPECT_EQ(after.peer_addresses.size(), 2u);
  for (const auto& [id, address] : after.peer_addresses) EXPECT_NE(id, 0x99u);
}

TEST(JoinCluster, NotAddedOrNobodyAnsweringIsRefused) {
  NullLogger logger;
  const ClusterConfig c = three("c");
  auto not_added =
      find_cluster_to_join(c, "c", answering({{"127.0.0.1:2480", without(c, c.self_id)}}), logger);
  ASSERT_FALSE(not_added.has_value());
  EXPECT_NE(not_added.error().find("has not been added to the cluster"), std::string::npos)
      << not_added.error();
  auto nobody = find_cluster_to_join(c, "c", answering({}), logger);
  ASSERT_FALSE(nobody.has_value());
  EXPECT_NE(nobody.error().find("no member of --initial-cluster answered"), std::string::npos);
}

}  // namespace
}  // namespace regent::server
