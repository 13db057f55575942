// A peer in another process that is SIGSTOPped and resumed: only keepalive can tell the sender,
// since the kernel keeps the connection open and even accepts bytes for a while.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <string>
#include <thread>

#include "unit/transport/transport_test_util.h"

extern char** environ;

namespace regent::transport::testing {
namespace {

constexpr const char* kChildEnv = "REGENT_TRANSPORT_ECHO_CHILD";

// Answers every message from member 1 with a heartbeat response of the same index.
class EchoHandler final : public Handler {
 public:
  void on_messages(std::vector<raft::Message> messages) override {
    Transport* transport = transport_.load();
    if (transport == nullptr) return;
    std::vector<raft::Message> replies;
    for (const raft::Message& message : messages) {
      replies.push_back(raft::Message{.type = raft::MessageType::kHeartbeatResponse,
                                      .to = message.from,
                                      .from = message.to,
                                      .index = message.index});
    }
    transport->send(std::move(replies));
  }
  void on_unreachable(raft::NodeId) override {}
  void on_snapshot_sent(raft::NodeId, bool) override {}
  std::atomic<Transport*> transport_{nullptr};
};

// The child process: serves as member 2 until its parent goes away, or a minute at most.
void serve_as_echo_member(const std::string& both) {
  const size_t comma = both.find(',');
  ASSERT_NE(comma, std::string::npos);
  EchoHandler handler;
  NullLogger logger;
  auto started = Transport::start(
      member_options(2, both.substr(0, comma), {{1, both.substr(comma + 1)}}), handler, logger);
  ASSERT_TRUE(started.has_value()) << started.error();
  handler.transport_ = started->get();
  const pid_t parent = getppid();
  for (int i = 0; i < 600 && getppid() == parent; ++i) std::this_thread::sleep_for(100ms);
  handler.transport_ = nullptr;
  started.value()->stop();
}

// The child process, killed and reaped whatever happens to the test.
class Child {
 public:
  explicit Child(const std::string& addresses) {
    char self[PATH_MAX] = {};
    const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    EXPECT_GT(n, 0);
    std::vector<std::string> env_strings = {std::string(kChildEnv) + "=" + addresses};
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    std::vector<char*> env;
    for (std::string& s : env_strings) env.push_back(s.data());
    env.push_back(nullptr);
    // The same test, which sees kChildEnv and plays the other side.
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string filter =
        std::string("--gtest_filter=") + test->test_suite_name() + "." + test->name();
    char* argv[] = {self, filter.data(), nullptr};
    // Its gtest output would read as the parent's.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    EXPECT_EQ(posix_spawn(&pid_, self, &actions, nullptr, argv, env.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  void signal(int sig) const { kill(pid_, sig); }

 private:
  pid_t pid_ = 0;
};

// Member 1 here, member 2 in a child process (the same test, which sees kChildEnv).
struct EchoPair {
  ReservedPort port_a;
  ReservedPort port_b;
  Child child{port_b.address() + "," + port_a.address()};
  Member a;
  EchoPair() { start_member(a, member_options(1, port_a.address(), {{2, port_b.address()}})); }
};

TEST(StoppedProcessTest, AStoppedPeerIsNoticedAndReachedAgainWhenItResumes) {
  if (const char* addresses = std::getenv(kChildEnv)) {
    serve_as_echo_member(addresses);
    return;
  }
  EchoPair pair;
  Member& a = pair.a;
  Child& child = pair.child;

  raft::Index next = 1;
  auto echoed = [&] {
    const raft::Index index = next++;
    a.transport->send({numbered(1, 2, index)});
    return eventually(
        [&] {
          for (const raft::Message& m : a.handler.messages()) {
            if (m.index == index && m.type == raft::MessageType::kHeartbeatResponse) return true;
          }
          return false;
        },
        2s);
  };
  ASSERT_TRUE(eventually([&] { return echoed(); })) << a.logger.dump();
  ASSERT_TRUE(a.transport->connected(2));

  child.signal(SIGSTOP);
  const auto stopped_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually(
      [&] {
        a.transport->send({numbered(1, 2, next++)});  // As Raft's heartbeats would.
        return !a.transport->connected(2);
      },
      10s))
      << a.logger.dump();
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 6s) << "keepalive should notice";
  EXPECT_GT(a.handler.unreachable(2), 0);
  // Hung, not gone: a new connection is not refused but left unanswered.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(a.handler.down(2), 0) << a.logger.dump();

  child.signal(SIGCONT);
  ASSERT_TRUE(eventually([&] { return echoed(); })) << a.logger.dump();
  EXPECT_TRUE(a.transport->connected(2));
}

TEST(StoppedProcessTest, AKilledPeerIsReportedDownAtOnce) {
  if (const char* addresses = std::getenv(kChildEnv)) {
    serve_as_echo_member(addresses);
    return;
  }
  EchoPair pair;
  Member& a = pair.a;
  Child& child = pair.child;
  ASSERT_TRUE(eventually([&] {
    a.transport->send({numbered(1, 2, 1)});
    return a.transport->connected(2);
  })) << a.logger.dump();
  EXPECT_EQ(a.handler.down(2), 0);

  child.signal(SIGKILL);
  const auto killed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return a.handler.down(2) > 0; }, 5s)) << a.logger.dump();
  // The kernel closed its connections and refuses new ones: no keepalive or timeout needed.
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 500ms);
  // Once per break, not once per refused retry.
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(a.handler.down(2), 1);
}

}  // namespace
}  // namespace regent::transport::testing
