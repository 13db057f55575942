#include "server/cluster_config.h"

#include <gtest/gtest.h>

namespace regent::server {
namespace {

ClusterFlags three(const std::string& name, int port) {
  ClusterFlags f;
  f.name = name;
  f.listen_client_urls = {fmt::format("http://127.0.0.1:{}", port - 1)};
  f.listen_peer_urls = {fmt::format("http://127.0.0.1:{}", port)};
  f.initial_cluster = "a=http://127.0.0.1:2380,b=http://127.0.0.1:22380,c=http://127.0.0.1:32380";
  f.initial_cluster_token = "t";
  return f;
}

TEST(ClusterConfig, EveryMemberDerivesTheSameIds) {
  auto a = resolve_cluster(three("a", 2380));
  auto b = resolve_cluster(three("b", 22380));
  ASSERT_TRUE(a.has_value()) << a.error();
  ASSERT_TRUE(b.has_value()) << b.error();
  EXPECT_EQ(a->cluster_id, b->cluster_id);
  ASSERT_EQ(a->members.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(a->members[i].id(), b->members[i].id());
  EXPECT_NE(a->self_id, b->self_id);
  EXPECT_EQ(a->peer_addresses.size(), 2u);
  EXPECT_EQ(a->listen_peer_address, "127.0.0.1:2380");
  EXPECT_EQ(a->listen_client_addresses, std::vector<std::string>{"127.0.0.1:2379"});
}

TEST(ClusterConfig, TheTokenSeparatesClusters) {
  ClusterFlags other = three("a", 2380);
  other.initial_cluster_token = "u";
  auto a = resolve_cluster(three("a", 2380));
  auto b = resolve_cluster(other);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->cluster_id, b->cluster_id);
  EXPECT_NE(a->self_id, b->self_id);
}

TEST(ClusterConfig, BadFlagsAreNamed) {
  struct Case {
    std::function<void(ClusterFlags&)> edit;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {[](ClusterFlags& f) { f.name = "z"; }, "no member named \"z\""},
      {[](ClusterFlags& f) { f.initial_cluster = "a"; }, "is not name=http://host:port"},
      {[](ClusterFlags& f) { f.initial_cluster = "a=ftp://127.0.0.1:2380"; }, "not a URL"},
      {[](ClusterFlags& f) { f.initial_cluster = "a=http://127.0.0.1:99999"; }, "bad port"},
      {[](ClusterFlags& f) { f.initial_cluster = "a=http://h:1,b=http://h:1"; }, "given twice"},
      {[](ClusterFlags& f) { f.listen_peer_urls = {"http://127.0.0.1:9"}; },
       "--initial-advertise-peer-urls says"},
      {[](ClusterFlags& f) { f.listen_client_urls = {"127.0.0.1:2379"}; }, "--listen-client-urls"},
      {[](ClusterFlags& f) { f.initial_cluster_state = "old"; }, "--initial-cluster-state"},
  };
  for (const Case& c : cases) {
    ClusterFlags f = three("a", 2380);
    c.edit(f);
    auto r = resolve_cluster(f);
    ASSERT_FALSE(r.has_value()) << c.expect;
    EXPECT_NE(r.error().find(c.expect), std::string::npos) << r.error();
  }
}

TEST(ClusterConfig, ASingleMemberNeedsNoInitialCluster) {
  ClusterFlags f;
  auto r = resolve_cluster(f);
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->members.size(), 1u);
  EXPECT_TRUE(r->peer_addresses.empty());
}

}  // namespace
}  // namespace regent::server

namespace regent::server {
namespace {

TEST(ClusterConfig, HttpsUrlsGiveTheirAddresses) {
  EXPECT_EQ(*url_to_address("https://127.0.0.1:2379"), "127.0.0.1:2379");
  ClusterFlags f;
  f.name = "a";
  f.listen_peer_urls = {"https://127.0.0.1:2380"};
  f.initial_cluster = "a=https://127.0.0.1:2380,b=https://127.0.0.1:2381";
  auto c = resolve_cluster(f);
  ASSERT_TRUE(c.has_value()) << c.error();
  ASSERT_EQ(c->peer_addresses.size(), 1u);
  EXPECT_EQ(c->peer_addresses[0].second, "127.0.0.1:2381");
}

}  // namespace
}  // namespace regent::server
