// Three Raft loops in one process, each with its real data directory and state machine, joined by
// an in-memory transport whose links the test can cut. What a client of a member would notice:
// writes answered after they apply, forwarded from followers, reads that see them, fast failure
// without a leader, leadership transfer, catch-up by snapshot.
#include "server/host/raft_node.h"

#include <gtest/gtest.h>

#include <future>
#include <set>

#include "storage/file_names.h"
#include "storage/posix_fs.h"
#include "unit/storage/storage_test_util.h"

namespace regent::server {
namespace {

using namespace std::chrono_literals;
using storage::testing::TempDir;

constexpr auto kWait = 10s;  // Bound of every wait below.

// Routes each message straight into the addressee's inbox, unless the link is cut. A snapshot
// gets its image from the sender's storage, as transport::Options::read_snapshot gives it.
class Network {
 public:
  class Endpoint final : public transport::Transport {
   public:
    Endpoint(Network& net, raft::NodeId self, const storage::DiskStorage& storage)
        : net_(net), self_(self), storage_(storage) {}
    void send(std::vector<raft::Message> messages) override {
      for (raft::Message& m : messages) {
        if (m.type == raft::MessageType::kSnapshot && m.snapshot.data.empty()) {
          auto snapshot = storage_.read_snapshot(m.snapshot.metadata);
          ASSERT_TRUE(snapshot.has_value()) << snapshot.error().message;
          m.snapshot.data = std::move(snapshot->data);
        }
        net_.deliver(self_, std::move(m));
      }
    }
    void stop() override {}
    void update_peers(const std::vector<transport::PeerAddress>&) override {}
    int bound_port() const override { return 0; }
    bool connected(raft::NodeId peer) const override { return net_.linked(self_, peer); }

   private:
    Network& net_;
    raft::NodeId self_;
    const storage::DiskStorage& storage_;
  };

  void attach(raft::NodeId id, RaftNode* node) {
    std::lock_guard lock(mu_);
    nodes_[id] = node;
  }
  void isolate(raft::NodeId id, bool cut) {
    std::lock_guard lock(mu_);
    if (cut) {
      isolated_.insert(id);
    } else {
      isolated_.erase(id);
    }
  }
  bool linked(raft::NodeId a, raft::NodeId b) const {
    std::lock_guard lock(mu_);
    return !isolated_.contains(a) && !isolated_.contains(b);
  }

 private:
  void deliver(raft::NodeId from, raft::Message m) {
    RaftNode* to = nullptr;
    RaftNode* sender = nullptr;
    {
      std::lock_guard lock(mu_);
      if (isolated_.contains(from) || isolated_.contains(m.to)) return;
      auto it = nodes_.find(m.to);
      if (it == nodes_.end()) return;
      to = it->second;
      sender = nodes_[from];
    }
    const bool snapshot = m.type == raft::MessageType::kSnapshot;
    const raft::NodeId peer = m.to;
    to->on_messages({std::move(m)});
    if (snapshot && sender != nullptr) sender->on_snapshot_sent(peer, true);
  }

  mutable std::mutex mu_;
  std::map<raft::NodeId, RaftNode*> nodes_;
  std::set<raft::NodeId> isolated_;
};

// The index of the newest snapshot file in a member's data directory (0 if none).
raft::Index newest_snapshot_index(const std::string& data_dir) {
  storage::PosixFs fs;
  auto names = fs.list(data_dir + "/snap");
  raft::Index newest = 0;
  for (const std::string& name : names ? *names : std::vector<std::string>{}) {
    auto term_index = storage::parse_hex_pair_name(name, ".snap");
    if (term_index) newest = std::max(newest, term_index->second);
  }
  return newest;
}

struct Member {
  TempDir dir;
  storage::PosixFs fs;
  NullLogger logger;
  std::unique_ptr<storage::DiskStorage> storage;
  StateMachine machine;
  std::unique_ptr<Network::Endpoint> endpoint;
  std::unique_ptr<RaftNode> node;
};

class RaftNodeTest : public ::testing::Test {
 protected:
  void start(uint64_t snapshot_count = 0, uint64_t catch_up = 5000, size_t max_pending = 20000) {
    for (raft::NodeId id = 1; id <= 3; ++id) {
      auto m = std::make_unique<Member>();
      storage::Options so;
      so.catch_up_entries = catch_up;
      so.segment_bytes = 1 << 20;
      so.preallocate = false;
      auto opened = storage::DiskStorage::open(m->fs, m->dir.path(), so, m->logger);
      ASSERT_TRUE(opened.has_value()) << opened.error().message;
      m->storage = std::move(*opened);
      raft::Snapshot boot;
      boot.data = StateMachine().image();
      boot.metadata = {.conf_state = {.voters = {1, 2, 3}}, .index = 1, .term = 1};
      ASSERT_TRUE(m->storage->save({}, raft::HardState{.term = 1, .commit = 1}, boot));
      NodeOptions o;
      o.id = id;
      o.tick = 10ms;
      o.election_ticks = 10;
      o.snapshot_count = snapshot_count;
      o.request_timeout = 3s;
      o.max_pending_requests = max_pending;
      m->node = std::make_unique<RaftNode>(o, *m->storage, m->machine, m->logger);
      m->endpoint = std::make_unique<Network::Endpoint>(net_, id, *m->storage);
      net_.attach(id, m->node.get());
      members_.push_back(std::move(m));
    }
    for (auto& m : members_) ASSERT_TRUE(m->node->start(*m->endpoint).has_value());
  }
  void TearDown() override {
    for (auto& m : members_) m->node->stop();
  }

  RaftNode& node(raft::NodeId id) { return *members_[id - 1]->node; }
  StateMachine& machine(raft::NodeId id) { return members_[id - 1]->machine; }

  // The leader all reachable members agree on, once they do.
  raft::NodeId wait_for_leader(std::set<raft::NodeId> among = {1, 2, 3}) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      std::set<raft::NodeId> seen;
      raft::NodeId leader = raft::kNone;
      for (raft::NodeId id : among) {
        const NodeStatus s = node(id).status();
        seen.insert(s.leader);
        if (s.is_leader) leader = id;
      }
      if (leader != raft::kNone && seen.size() == 1) return leader;
      std::this_thread::sleep_for(5ms);
    }
    ADD_FAILURE() << "no leader within " << kWait.count() << " s";
    return raft::kNone;
  }

  Expected<WriteResponse, Failure> put(raft::NodeId via, const std::string& key,
                                       const std::string& value) {
    regentpb::InternalRequest r;
    r.mutable_put()->set_key(key);
    r.mutable_put()->set_value(value);
    std::promise<Expected<WriteResponse, Failure>> done;
    auto answer = done.get_future();
    node(via).propose(std::move(r), [&done](Expected<WriteResponse, Failure> outcome) {
      done.set_value(std::move(outcome));
    });
    if (answer.wait_for(kWait) != std::future_status::ready) {
      ADD_FAILURE() << "write not answered within " << kWait.count() << " s";
      return unexpected(request_timeout());
    }
    return answer.get();
  }

  Expected<void, Failure> read_barrier(raft::NodeId via) {
    std::promise<Expected<void, Failure>> done;
    auto answer = done.get_future();
    node(via).read_index([&done](Expected<void, Failure> r) { done.set_value(std::move(r)); });
    if (answer.wait_for(kWait) != std::future_status::ready) {
      ADD_FAILURE() << "read not answered";
      return unexpected(request_timeout());
    }
    return answer.get();
  }

  std::optional<std::string> get(raft::NodeId on, const std::string& key) {
    auto r = machine(on).read([&](const kv::Store& s) { return s.range({.key = key}); });
    if (!r || r->kvs.empty()) return std::nullopt;
    return r->kvs[0].value;
  }

  void wait_equal_images() {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (machine(1).image() == machine(2).image() && machine(2).image() == machine(3).image()) {
        return;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "members did not converge";
  }

  Network net_;
  std::vector<std::unique_ptr<Member>> members_;
};

raft::NodeId follower_of(raft::NodeId leader) { return leader % 3 + 1; }

TEST_F(RaftNodeTest, WritesThroughAFollowerAreAnsweredOnceAppliedAndReachEveryMember) {
  start();
  const raft::NodeId leader = wait_for_leader();
  auto r = put(follower_of(leader), "k", "v");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(std::get<kv::PutResponse>(*r).revision, 2);
  // Answered by the member that applied it: the follower's own store has it.
  EXPECT_EQ(get(follower_of(leader), "k"), "v");
  wait_equal_images();
}

TEST_F(RaftNodeTest, ALinearizableReadOnAnyMemberSeesEveryAnsweredWrite) {
  start();
  const raft::NodeId leader = wait_for_leader();
  for (int i = 0; i < 20; ++i) {
    const std::string value = std::to_string(i);
    ASSERT_TRUE(put(leader, "k", value).has_value());
    for (raft::NodeId id = 1; id <= 3; ++id) {
      ASSERT_TRUE(read_barrier(id).has_value());
      EXPECT_EQ(get(id, "k"), value) << "member " << id;
    }
  }
}

TEST_F(RaftNodeTest, WithoutALeaderWritesAndReadsFailFastWithNoLeader) {
  start();
  const raft::NodeId leader = wait_for_leader();
  const raft::NodeId lone = follower_of(leader);
  for (raft::NodeId id = 1; id <= 3; ++id) {
    if (id != lone) net_.isolate(id, true);
  }
  // Once the lone member's election timeout passes it forgets the leader (pre-vote keeps it
  // from winning anything).
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (node(lone).status().leader != raft::kNone && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  const auto started = std::chrono::steady_clock::now();
  auto w = put(lone, "k", "v");
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().message, "etcdserver: no leader");
  auto r = read_barrier(lone);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "etcdserver: no leader");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(RaftNodeTest, LeadershipMovesToTheMostUpToDateFollowerOrAChosenOne) {
  start();
  const raft::NodeId leader = wait_for_leader();
  ASSERT_TRUE(put(leader, "k", "v").has_value());
  std::promise<Expected<void, Failure>> moved;
  node(leader).transfer_leadership(
      raft::kNone, [&](Expected<void, Failure> r) { moved.set_value(std::move(r)); });
  auto outcome = moved.get_future();
  ASSERT_EQ(outcome.wait_for(kWait), std::future_status::ready);
  ASSERT_TRUE(outcome.get().has_value());
  const raft::NodeId next = wait_for_leader();
  EXPECT_NE(next, leader);

  // A non-leader is refused, as etcd's MoveLeader does.
  std::promise<Expected<void, Failure>> refused;
  node(leader).transfer_leadership(
      next, [&](Expected<void, Failure> r) { refused.set_value(std::move(r)); });
  auto no = refused.get_future();
  ASSERT_EQ(no.wait_for(kWait), std::future_status::ready);
  auto r = no.get();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "etcdserver: not leader");
}

TEST_F(RaftNodeTest, AFollowerBehindTheCompactionPointCatchesUpBySnapshot) {
  start(/*snapshot_count=*/20, /*catch_up=*/5);
  const raft::NodeId leader = wait_for_leader();
  const raft::NodeId lagging = follower_of(leader);
  net_.isolate(lagging, true);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(put(leader, "k" + std::to_string(i), "v").has_value()) << i;
  }
  // The leader's log no longer reaches back to what the lagging member has: its newest snapshot
  // (less the 5 entries kept before it) is past index 10. Read from the files, as the loop owns
  // the storage object.
  EXPECT_GT(newest_snapshot_index(members_[leader - 1]->dir.path()), 10u + 5u);
  net_.isolate(lagging, false);
  wait_equal_images();
  EXPECT_EQ(get(lagging, "k99"), "v");
}

TEST_F(RaftNodeTest, BeyondThePendingLimitRequestsAreRefusedAtOnce) {
  start(0, 5000, /*max_pending=*/2);
  const raft::NodeId leader = wait_for_leader();
  const raft::NodeId cut = follower_of(leader);
  net_.isolate(cut, true);  // Its forwarded writes wait for an answer that cannot come.
  std::vector<Expected<WriteResponse, Failure>> answers;
  std::mutex mu;
  for (int i = 0; i < 3; ++i) {
    regentpb::InternalRequest r;
    r.mutable_put()->set_key("k");
    node(cut).propose(std::move(r), [&](Expected<WriteResponse, Failure> outcome) {
      std::lock_guard lock(mu);
      answers.push_back(std::move(outcome));
    });
  }
  std::this_thread::sleep_for(50ms);
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(answers.size(), 1u);  // Only the third, refused; the first two still wait.
    ASSERT_FALSE(answers[0].has_value());
    EXPECT_EQ(answers[0].error().message, "etcdserver: too many requests");
  }
  node(cut).stop();  // Answers the two waiting ones before `answers` goes away.
}

TEST_F(RaftNodeTest, StoppingAnswersEveryWaitingClient) {
  start();
  const raft::NodeId leader = wait_for_leader();
  const raft::NodeId cut = follower_of(leader);
  net_.isolate(cut, true);
  std::promise<Expected<WriteResponse, Failure>> done;
  regentpb::InternalRequest r;
  r.mutable_put()->set_key("k");
  node(cut).propose(std::move(r), [&](Expected<WriteResponse, Failure> outcome) {
    done.set_value(std::move(outcome));
  });
  node(cut).stop();
  auto answer = done.get_future();
  ASSERT_EQ(answer.wait_for(kWait), std::future_status::ready);
  EXPECT_FALSE(answer.get().has_value());
}

}  // namespace
}  // namespace regent::server
