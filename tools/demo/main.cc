// regent-demo: a short, narrated run of three Raft members in one process.
//
// It drives the real consensus core (src/raft/) through the in-memory Cluster harness of the
// tests: each member persists into a MemoryStorage and follows the Ready contract, messages pass
// through an in-process queue, and time is ticks fed by this program. The run is deterministic:
// the seed is fixed, so every run prints the same story. Every wait is bounded; if something
// that should happen does not, the demo says what and exits non-zero (ctest runs it as `demo`).
//
//   1. elect a leader;  2. commit proposals;  3. crash the leader and elect another;
//   4. commit more without it;  5. restart it and watch it catch up.
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/logger.h"
#include "support/raft_cluster.h"

namespace regent::raft {
namespace {

constexpr uint64_t kSeed = 42;
constexpr int kElectionTicks = 10;
// Generous bounds: an election needs at most ~2 election timeouts, catching up a few heartbeats.
constexpr int kMaxTicks = 10 * kElectionTicks;

std::string plural(int ticks) { return fmt::format("{} tick{}", ticks, ticks == 1 ? "" : "s"); }

// Thrown to main() when the cluster does not do what the narration promised.
struct DemoFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Demo {
 public:
  explicit Demo(Logger& logger)
      : cluster_({1, 2, 3}, [&logger](Config& c) {
          c.seed = kSeed * 1000 + c.id;
          c.election_tick = kElectionTicks;
          c.heartbeat_tick = 1;
          c.logger = &logger;  // Warnings only: a healthy run prints nothing from the core.
        }) {}

  void run() {
    fmt::print(
        "Simulation of Regent's consensus core in one process; the server (regentd) comes in a "
        "later release.\n"
        "Three members exchange messages in memory. A follower campaigns after {}-{} ticks\n"
        "without a leader; the leader heartbeats every tick. Seed {}.\n\n",
        kElectionTicks, 2 * kElectionTicks - 1, kSeed);
    const NodeId first = elect_leader();
    commit({"x=1", "y=2", "z=3"});
    const NodeId second = fail_over(first);
    commit({"x=10", "w=4"});
    recover(first, second);
    fmt::print(
        "\nOK: leader {} (term {}) crashed, member {} took over (term {}); {} proposals "
        "committed;\n"
        "    all 3 members applied the same {} entries.\n",
        first, first_term_, second, raft(second).term(), proposals_, applied(second));
  }

 private:
  const Raft& raft(NodeId id) const { return cluster_.raft(id); }
  // Index of the last entry `id` applied (the harness keeps what each member applied).
  Index applied(NodeId id) {
    const auto& entries = cluster_.member(id).applied;
    return entries.empty() ? 0 : entries.back().index;
  }

  // Ticks every live member, one tick at a time, until `done` holds. Returns the ticks taken.
  template <class Pred>
  int tick_until(Pred done, const std::string& what) {
    for (int ticks = 1; ticks <= kMaxTicks; ++ticks) {
      cluster_.tick_all(1);
      if (done()) return ticks;
    }
    throw DemoFailure(fmt::format("{} did not happen within {} ticks", what, kMaxTicks));
  }

  NodeId elect_leader() {
    fmt::print("1. Election\n");
    fmt::print("   Nobody leads yet; every member waits a randomized election timeout.\n");
    const int ticks = tick_until([&] { return cluster_.leader().has_value(); }, "an election");
    const NodeId lead = *cluster_.leader();
    first_term_ = raft(lead).term();
    fmt::print("   Member {} became leader in term {} after {}.\n", lead, first_term_,
               plural(ticks));
    return lead;
  }

  void commit(const std::vector<std::string>& values) {
    const NodeId lead = leader();
    fmt::print("\n{}. Replication: member {} proposes", ++phase_, lead);
    for (const std::string& v : values) fmt::print(" \"{}\"", v);
    fmt::print("\n");
    for (const std::string& v : values) {
      const Error err = cluster_.propose(lead, v);
      if (err != Error::kOk) {
        throw DemoFailure(fmt::format("member {} refused \"{}\": {}", lead, v, to_string(err)));
      }
      ++proposals_;
    }
    const Index last = raft(lead).log().last_index();
    for (NodeId id : cluster_.ids()) {
      if (cluster_.member(id).down) continue;
      if (raft(id).log().committed() != last || applied(id) != last) {
        throw DemoFailure(
            fmt::format("member {} did not commit and apply up to index {}", id, last));
      }
    }
    print_commit_indexes();
  }

  NodeId fail_over(NodeId old) {
    fmt::print("\n{}. Leader failure\n", ++phase_);
    cluster_.crash(old);
    fmt::print("   Member {} crashed: it processes nothing and no message reaches it.\n", old);
    const int ticks = tick_until(
        [&] {
          const auto lead = cluster_.leader();
          return lead.has_value() && *lead != old;
        },
        "a new election");
    const NodeId lead = *cluster_.leader();
    fmt::print("   After {} without heartbeats, member {} became leader in term {}.\n",
               plural(ticks), lead, raft(lead).term());
    return lead;
  }

  void recover(NodeId old, NodeId lead) {
    fmt::print("\n{}. Recovery\n", ++phase_);
    cluster_.restart(old);
    fmt::print("   Member {} restarted from its storage: term {}, commit index {}.\n", old,
               raft(old).term(), raft(old).log().committed());
    const Index target = applied(lead);
    const int ticks = tick_until(
        [&] {
          return raft(old).lead() == lead && applied(old) == target &&
                 raft(old).log().committed() == target;
        },
        fmt::format("member {} catching up with leader {}", old, lead));
    fmt::print("   After {} it follows member {} and has applied up to index {}.\n", plural(ticks),
               lead, applied(old));
    print_commit_indexes();
    for (NodeId id : cluster_.ids()) {
      if (cluster_.member(id).applied != cluster_.member(lead).applied) {
        throw DemoFailure(
            fmt::format("member {} applied different entries than member {}", id, lead));
      }
    }
    fmt::print("   Applied on every member, in order:");
    for (const std::string& v : cluster_.applied_data(lead)) fmt::print(" {}", v);
    fmt::print("\n");
  }

  NodeId leader() const {
    const auto lead = cluster_.leader();
    if (!lead) throw DemoFailure("no leader");
    return *lead;
  }

  void print_commit_indexes() {
    fmt::print("   Commit index:");
    const char* sep = " ";
    for (NodeId id : cluster_.ids()) {
      fmt::print("{}member {} = {}{}", sep, id, raft(id).log().committed(),
                 cluster_.member(id).down ? " (down)" : "");
      sep = ", ";
    }
    fmt::print("\n");
  }

  testing::Cluster cluster_;
  Term first_term_ = 0;
  int phase_ = 1;
  int proposals_ = 0;
};

}  // namespace
}  // namespace regent::raft

int main(int argc, char** argv) {
  if (argc > 1) {
    std::fprintf(stderr, "usage: %s\n(the demo takes no arguments; its seed is fixed)\n", argv[0]);
    return 2;
  }
  regent::StderrLogger logger(regent::LogLevel::kWarning);
  try {
    regent::raft::Demo demo(logger);
    demo.run();
  } catch (const std::exception& failure) {
    std::fflush(stdout);
    std::fprintf(stderr, "\nregent-demo: FAILED: %s\n", failure.what());
    return 1;
  }
  return 0;
}
