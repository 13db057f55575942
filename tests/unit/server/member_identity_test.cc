// The data directory's identity file (server/member_identity.h): what it records, and the
// refusal of a start whose flags name another member, cluster or name.
#include "server/member_identity.h"

#include <gtest/gtest.h>

#include <fstream>

#include "server/cluster_config.h"
#include "unit/storage/storage_test_util.h"

namespace regent::server {
namespace {

using storage::testing::TempDir;

class LinesLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view message) override { lines.emplace_back(message); }
  std::vector<std::string> lines;
};

MemberIdentity from_flags(const std::string& name, const std::string& token) {
  ClusterFlags f;
  f.name = name;
  f.listen_peer_urls = {"http://127.0.0.1:2380"};
  f.initial_cluster = name + "=http://127.0.0.1:2380,x=http://127.0.0.1:2480";
  f.initial_cluster_token = token;
  auto c = resolve_cluster(f);
  EXPECT_TRUE(c.has_value()) << c.error();
  return MemberIdentity{.member_id = c->self_id, .cluster_id = c->cluster_id, .name = name};
}

TEST(MemberIdentity, RoundTripsThroughItsText) {
  const MemberIdentity id{
      .member_id = 0x8e9e05c52164694d, .cluster_id = 0xcdf818194e3a8c32, .name = "infra 1"};
  EXPECT_EQ(encode_identity(id),
            "member_id 8e9e05c52164694d\ncluster_id cdf818194e3a8c32\nname infra 1\n");
  auto back = decode_identity(encode_identity(id));
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(*back, id);
  EXPECT_EQ(describe(id), "member 8e9e05c52164694d (name \"infra 1\") of cluster cdf818194e3a8c32");
}

TEST(MemberIdentity, MalformedTextIsRefused) {
  for (const std::string text :
       {"", "member_id 8e9e05c52164694d\n", "member_id 8e9e05c52164694d\ncluster_id 1\nname a\n",
        "member_id 8e9e05c52164694d\ncluster_id cdf818194e3a8c32\nname a",
        "member_id 0000000000000000\ncluster_id cdf818194e3a8c32\nname a\n",
        "member_id 8e9e05c52164694d\ncluster_id cdf818194e3a8c32\nname a\nextra\n",
        "cluster_id cdf818194e3a8c32\nmember_id 8e9e05c52164694d\nname a\n"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(decode_identity(text).has_value());
  }
}

TEST(MemberIdentity, AnotherTokenOrNameIsRefusedNamingBothIdentities) {
  const MemberIdentity created = from_flags("n1", "token-a");
  EXPECT_TRUE(check_identity(created, from_flags("n1", "token-a"), "d").has_value());

  const MemberIdentity other_token = from_flags("n1", "token-b");
  ASSERT_NE(other_token.member_id, created.member_id);
  ASSERT_NE(other_token.cluster_id, created.cluster_id);
  auto refused = check_identity(created, other_token, "/data/n1");
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find("/data/n1"), std::string::npos) << refused.error();
  EXPECT_NE(refused.error().find(describe(created)), std::string::npos) << refused.error();
  EXPECT_NE(refused.error().find(describe(other_token)), std::string::npos) << refused.error();
  EXPECT_NE(refused.error().find(fmt::format("member {:x}", created.member_id)), std::string::npos);

  // The name alone does not change the ids, and is refused all the same.
  MemberIdentity renamed = created;
  renamed.name = "n2";
  auto also = check_identity(created, renamed, "/data/n1");
  ASSERT_FALSE(also.has_value());
  EXPECT_NE(also.error().find("\"n2\""), std::string::npos) << also.error();
}

TEST(MemberIdentity, RecordedAtBootstrapThenChecked) {
  TempDir dir;
  storage::PosixFs fs;
  LinesLogger logger;
  const MemberIdentity id = from_flags("n1", "t");
  // A fresh directory: nothing recorded, nothing written; the caller records it at bootstrap.
  auto fresh = establish_identity(fs, dir.path(), id, false, {}, logger);
  ASSERT_TRUE(fresh.has_value()) << fresh.error();
  EXPECT_FALSE(*fresh);
  EXPECT_FALSE(std::filesystem::exists(dir / "IDENTITY"));
  ASSERT_TRUE(write_identity(fs, dir.path(), id).has_value());
  EXPECT_FALSE(std::filesystem::exists(dir / "IDENTITY.tmp"));

  auto again = establish_identity(fs, dir.path(), id, true, {id.member_id}, logger);
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_TRUE(*again);
  auto refused =
      establish_identity(fs, dir.path(), from_flags("n1", "u"), true, {id.member_id}, logger);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find(describe(id)), std::string::npos) << refused.error();
  // The file is never rewritten by a refused start.
  auto kept = read_identity(fs, dir.path());
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  EXPECT_EQ(**kept, id);
}

TEST(MemberIdentity, DataFromBeforeTheFileGetsOneOnItsFirstStart) {
  TempDir dir;
  storage::PosixFs fs;
  LinesLogger logger;
  const MemberIdentity id = from_flags("n1", "t");
  auto adopted = establish_identity(fs, dir.path(), id, true, {id.member_id, 7}, logger);
  ASSERT_TRUE(adopted.has_value()) << adopted.error();
  EXPECT_TRUE(*adopted);
  auto recorded = read_identity(fs, dir.path());
  ASSERT_TRUE(recorded.has_value() && recorded->has_value());
  EXPECT_EQ(**recorded, id);
  ASSERT_EQ(logger.lines.size(), 1u);
  EXPECT_NE(logger.lines[0].find("created before identity files"), std::string::npos);

  // Flags naming a member the data never counted are refused, and nothing is written.
  TempDir other;
  auto refused =
      establish_identity(fs, other.path(), from_flags("n1", "u"), true, {id.member_id}, logger);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find(fmt::format("{:x}", id.member_id)), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(other / "IDENTITY"));
}

TEST(MemberIdentity, ADamagedFileRefusesTheStart) {
  TempDir dir;
  storage::PosixFs fs;
  LinesLogger logger;
  std::ofstream(dir / "IDENTITY") << "member_id zz\n";
  auto refused = establish_identity(fs, dir.path(), from_flags("n1", "t"), true, {}, logger);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find("is damaged"), std::string::npos) << refused.error();
}

}  // namespace
}  // namespace regent::server
