// etcd's isMemberBootstrapped (server/bootstrapped_check.h), with the peers' answers scripted.
#include "server/bootstrapped_check.h"

#include <gtest/gtest.h>

#include <map>

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

}  // namespace
}  // namespace regent::server
