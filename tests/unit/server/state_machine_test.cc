#include "server/node/state_machine.h"

#include <gtest/gtest.h>

#include "unit/server/internal_requests.h"

namespace regent::server {
namespace {

using testing::members;
using testing::put;

TEST(StateMachine, AppliesWritesAndAnswersWithTheRevision) {
  StateMachine sm(members());
  auto r = sm.apply(put("k", "v"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(std::get<kv::PutResponse>(*r).revision, 2);
  EXPECT_EQ(sm.revision(), 2);
  auto got = sm.read([](const kv::Store& s) { return s.range({.key = "k"}); });
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->kvs.size(), 1u);
  EXPECT_EQ(got->kvs[0].value, "v");
}

TEST(StateMachine, AFailedRequestChangesNothingAndFailsTheSameEverywhere) {
  StateMachine a(members()), b(members());
  regentpb::InternalRequest bad;
  bad.mutable_put()->set_key("missing");
  bad.mutable_put()->set_ignore_value(true);
  auto ra = a.apply(bad), rb = b.apply(bad);
  ASSERT_FALSE(ra.has_value());
  EXPECT_EQ(ra.error(), rb.error());
  EXPECT_EQ(a.revision(), 1);
  EXPECT_FALSE(a.apply(regentpb::InternalRequest{}).has_value());  // No request at all.
  EXPECT_EQ(a.image(), b.image());
}

TEST(StateMachine, PublishSetsClientUrlsOfAKnownMemberOnly) {
  StateMachine sm(members());
  regentpb::InternalRequest r;
  r.mutable_publish()->set_id(7);
  r.mutable_publish()->add_client_urls("http://127.0.0.1:2379");
  r.mutable_publish()->set_name("renamed");  // Names come from the bootstrap, not the member.
  ASSERT_TRUE(sm.apply(r).has_value());
  r.mutable_publish()->set_id(8);
  ASSERT_TRUE(sm.apply(r).has_value());
  auto ms = sm.members();
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].name(), "a");
  ASSERT_EQ(ms[0].client_urls_size(), 1);
  EXPECT_EQ(ms[0].client_urls(0), "http://127.0.0.1:2379");
}

TEST(StateMachine, ImageRestoresEverything) {
  StateMachine sm(members());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(sm.apply(put("k" + std::to_string(i % 7), "v")));
  StateMachine copy;
  ASSERT_TRUE(copy.restore(sm.image()).has_value());
  EXPECT_EQ(copy.image(), sm.image());
  EXPECT_EQ(copy.revision(), sm.revision());
  EXPECT_EQ(copy.members().size(), 1u);
}

TEST(StateMachine, GarbageIsRefusedAndLeavesTheStateAlone) {
  StateMachine sm(members());
  ASSERT_TRUE(sm.apply(put("k", "v")));
  const std::string before = sm.image();
  EXPECT_FALSE(sm.restore("\xff\xff garbage").has_value());
  regentpb::SnapshotData bad;
  bad.set_kv_image("not an image");
  EXPECT_FALSE(sm.restore(bad.SerializeAsString()).has_value());
  EXPECT_EQ(sm.image(), before);
}

}  // namespace
}  // namespace regent::server

namespace regent::server {
namespace {

TEST(StateMachine, MembershipChangesAreInTheImageAndAnAddedMemberPublishesItsName) {
  StateMachine sm(testing::members());
  regentpb::MemberChange add;
  add.set_kind(regentpb::MemberChange::ADD);
  add.mutable_member()->set_id(9);
  add.mutable_member()->add_peer_urls("http://127.0.0.1:2390");
  add.mutable_member()->set_is_learner(true);
  auto added = sm.apply_member_change(add);
  ASSERT_TRUE(added.has_value()) << added.error().message;
  EXPECT_EQ(added->members.size(), 2u);
  EXPECT_FALSE(sm.apply_member_change(add).has_value()) << "the same add twice";
  regentpb::InternalRequest p = testing::publish(9, "http://127.0.0.1:2391");
  p.mutable_publish()->set_name("n9");
  ASSERT_TRUE(sm.apply(p).has_value());
  StateMachine copy;
  ASSERT_TRUE(copy.restore(sm.image()).has_value());
  const auto members = copy.members();
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[1].id(), 9u);
  EXPECT_TRUE(members[1].is_learner());
  EXPECT_EQ(members[1].name(), "n9");
  EXPECT_EQ(members[1].client_urls(0), "http://127.0.0.1:2391");
  // A name once known stays.
  regentpb::InternalRequest renamed = testing::publish(7, "http://x:1");
  renamed.mutable_publish()->set_name("other");
  ASSERT_TRUE(sm.apply(renamed).has_value());
  EXPECT_EQ(sm.members()[0].name(), "a");
}

}  // namespace
}  // namespace regent::server
