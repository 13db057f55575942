// The member table's rules (member_table.h), case by case, and etcd's errors for each refusal;
// and the leader's reconfiguration checks (reconfig_checks.h) over a table of cluster views.
#include "server/node/member_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/node/reconfig_checks.h"

namespace regent::server {
namespace {

regentpb::Member member(uint64_t id, std::vector<std::string> urls, bool learner = false) {
  regentpb::Member m;
  m.set_id(id);
  for (const std::string& url : urls) m.add_peer_urls(url);
  m.set_is_learner(learner);
  return m;
}

regentpb::MemberChange change(regentpb::MemberChange::Kind kind, regentpb::Member m) {
  regentpb::MemberChange c;
  c.set_kind(kind);
  *c.mutable_member() = std::move(m);
  return c;
}

// Members 1 and 2 (voters) and 3 (a learner).
std::vector<regentpb::Member> table() {
  return {member(1, {"http://a:1"}), member(2, {"http://b:1"}), member(3, {"http://c:1"}, true)};
}

using MC = regentpb::MemberChange;

TEST(MemberTable, ChecksGiveEtcdsErrors) {
  struct Case {
    std::string name;
    MC change;
    std::string error;  // Empty: allowed.
  };
  const std::vector<Case> cases = {
      {"add a voter", change(MC::ADD, member(9, {"http://d:1"})), ""},
      {"add with a URL in use", change(MC::ADD, member(9, {"http://d:1", "http://b:1"})),
       "etcdserver: Peer URLs already exists"},
      {"add an id in use", change(MC::ADD, member(2, {"http://d:1"})),
       "etcdserver: member ID already exist"},
      {"add without URLs", change(MC::ADD, member(9, {})),
       "etcdserver: given member URLs are invalid"},
      {"a second learner", change(MC::ADD, member(9, {"http://d:1"}, true)),
       "etcdserver: too many learner members in cluster"},
      {"remove a voter", change(MC::REMOVE, member(2, {})), ""},
      {"remove a learner", change(MC::REMOVE, member(3, {})), ""},
      {"remove an unknown id", change(MC::REMOVE, member(9, {})), "etcdserver: member not found"},
      {"promote a learner", change(MC::PROMOTE, member(3, {})), ""},
      {"promote a voter", change(MC::PROMOTE, member(1, {})),
       "etcdserver: can only promote a learner member"},
      {"promote an unknown id", change(MC::PROMOTE, member(9, {})), "etcdserver: member not found"},
      {"update to new URLs", change(MC::UPDATE, member(1, {"http://a:2"})), ""},
      {"update keeping its own URL", change(MC::UPDATE, member(1, {"http://a:1"})), ""},
      {"update to another's URL", change(MC::UPDATE, member(1, {"http://b:1"})),
       "etcdserver: Peer URLs already exists"},
      {"update an unknown id", change(MC::UPDATE, member(9, {"http://z:1"})),
       "etcdserver: member not found"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto before = table();
    auto got = check_member_change(before, c.change);
    if (c.error.empty()) {
      EXPECT_TRUE(got.has_value()) << got.error().message;
      auto after = before;
      apply_member_change_to(after, c.change);
      EXPECT_EQ(check_member_table(after), "");
    } else {
      ASSERT_FALSE(got.has_value());
      EXPECT_EQ(got.error().message, c.error);
    }
  }
}

TEST(MemberTable, ApplyingKeepsTheTableSortedAndChangesOnlyTheMember) {
  auto t = table();
  apply_member_change_to(t, change(MC::ADD, member(0x10, {"http://e:1"})));
  apply_member_change_to(t, change(MC::REMOVE, member(2, {})));
  apply_member_change_to(t, change(MC::PROMOTE, member(3, {})));
  apply_member_change_to(t, change(MC::UPDATE, member(1, {"http://a:9"})));
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].id(), 1u);
  EXPECT_EQ(t[0].peer_urls(0), "http://a:9");
  EXPECT_EQ(t[1].id(), 3u);
  EXPECT_FALSE(t[1].is_learner());
  EXPECT_EQ(t[2].id(), 0x10u);
  EXPECT_EQ(check_member_table(t), "");
}

TEST(MemberTable, RaftChangesOfEachKind) {
  EXPECT_EQ(raft_change_of(change(MC::ADD, member(9, {"u"})))->changes[0].type,
            raft::ConfChangeType::kAddNode);
  EXPECT_EQ(raft_change_of(change(MC::ADD, member(9, {"u"}, true)))->changes[0].type,
            raft::ConfChangeType::kAddLearnerNode);
  EXPECT_EQ(raft_change_of(change(MC::REMOVE, member(9, {})))->changes[0].type,
            raft::ConfChangeType::kRemoveNode);
  EXPECT_EQ(raft_change_of(change(MC::PROMOTE, member(9, {})))->changes[0].type,
            raft::ConfChangeType::kAddNode);
  EXPECT_FALSE(raft_change_of(change(MC::UPDATE, member(9, {"u"}))).has_value());
}

TEST(MemberTable, BrokenTablesAreNamed) {
  EXPECT_NE(check_member_table({member(2, {"x"}), member(1, {"y"})}), "");
  EXPECT_NE(check_member_table({member(1, {"x"}), member(2, {"x"})}), "");
  EXPECT_NE(check_member_table({member(1, {"x"}, true), member(2, {"y"}, true)}), "");
}

TEST(ReconfigChecks, StrictChecksAsEtcd) {
  struct Case {
    std::string name;
    std::set<raft::NodeId> voters, learners, active;
    std::map<raft::NodeId, raft::Index> match;
    MC change;
    bool strict;
    std::string error;
  };
  const raft::Index last = 1000;
  const std::vector<Case> cases = {
      {"add a voter to 3 of 3 active",
       {1, 2, 3},
       {},
       {1, 2, 3},
       {},
       change(MC::ADD, member(9, {"u"})),
       true,
       ""},
      {"add a voter to 2 of 3 active",
       {1, 2, 3},
       {},
       {1, 2},
       {},
       change(MC::ADD, member(9, {"u"})),
       true,
       "etcdserver: unhealthy cluster"},
      {"the same, not strict",
       {1, 2, 3},
       {},
       {1, 2},
       {},
       change(MC::ADD, member(9, {"u"})),
       false,
       ""},
      {"add a learner to 2 of 3 active",
       {1, 2, 3},
       {},
       {1, 2},
       {},
       change(MC::ADD, member(9, {"u"}, true)),
       true,
       ""},
      {"a second voter for a cluster of one (as etcd: the way to grow one)",
       {1},
       {},
       {1},
       {},
       change(MC::ADD, member(9, {"u"})),
       true,
       ""},
      {"a third voter for two, one down",
       {1, 2},
       {},
       {1},
       {},
       change(MC::ADD, member(9, {"u"})),
       true,
       "etcdserver: unhealthy cluster"},
      {"remove the dead of 3",
       {1, 2, 3},
       {},
       {1, 2},
       {},
       change(MC::REMOVE, member(3, {})),
       true,
       ""},
      {"remove a live one of 3, one dead",
       {1, 2, 3},
       {},
       {1, 2},
       {},
       change(MC::REMOVE, member(2, {})),
       true,
       "etcdserver: unhealthy cluster"},
      {"remove a live one of 3, all live",
       {1, 2, 3},
       {},
       {1, 2, 3},
       {},
       change(MC::REMOVE, member(2, {})),
       true,
       ""},
      {"remove a learner whatever is down",
       {1, 2, 3},
       {4},
       {1},
       {},
       change(MC::REMOVE, member(4, {})),
       true,
       ""},
      {"remove the last voter",
       {1},
       {},
       {1},
       {},
       change(MC::REMOVE, member(1, {})),
       true,
       "etcdserver: unhealthy cluster"},
      {"promote a learner in sync",
       {1, 2, 3},
       {4},
       {1, 2, 3, 4},
       {{4, 950}},
       change(MC::PROMOTE, member(4, {})),
       true,
       ""},
      {"promote a learner behind",
       {1, 2, 3},
       {4},
       {1, 2, 3, 4},
       {{4, 899}},
       change(MC::PROMOTE, member(4, {})),
       true,
       "etcdserver: can only promote a learner member which is in sync with leader"},
      {"behind, not strict: still refused",
       {1, 2, 3},
       {4},
       {1, 2, 3, 4},
       {{4, 10}},
       change(MC::PROMOTE, member(4, {})),
       false,
       "etcdserver: can only promote a learner member which is in sync with leader"},
      {"promote when too few would be active",
       {1, 2, 3},
       {4},
       {1, 4},
       {{4, 1000}},
       change(MC::PROMOTE, member(4, {})),
       true,
       "etcdserver: unhealthy cluster"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LeaderView v{c.voters, c.learners, c.active, c.match, last};
    auto got = check_reconfig(v, c.change, c.strict);
    if (c.error.empty()) {
      EXPECT_TRUE(got.has_value()) << got.error().message;
    } else {
      ASSERT_FALSE(got.has_value());
      EXPECT_EQ(got.error().message, c.error);
    }
  }
}

}  // namespace
}  // namespace regent::server
