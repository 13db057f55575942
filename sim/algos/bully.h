// The Bully election algorithm (Garcia-Molina, "Elections in a Distributed Computing System",
// IEEE Trans. Computers, 1982) as a pure state machine with the shape of the Raft core: tick()
// and step() in, messages and a leader view out. No clock, no randomness, no I/O.
//
// The rules: a member that suspects the coordinator sends ELECTION to every higher id. A higher
// member that receives it answers ANSWER and holds its own election. A member that hears no
// ANSWER within answer_ticks is the highest one alive and announces COORDINATOR to all; one that
// got an ANSWER waits coordinator_ticks for the COORDINATOR and starts over without it. A member
// that learns of a lower coordinator bullies it: it holds an election it will win.
//
// How a member suspects the coordinator is not part of the 1982 algorithm (it assumes a
// reliable failure detector); here the coordinator sends HEARTBEAT every heartbeat_ticks and a
// member that hears none for failure_ticks suspects it. That, and the fixed timeouts, are the
// synchronous-system assumptions docs/ELECTION-ALGORITHMS.md shows breaking.
//
// Invariants (checked by check_invariants()):
//  - leader() == id exactly while the phase is kLeading;
//  - while electing (kElecting, kAwaitingCoordinator) the member knows no leader;
//  - the phase timer never exceeds the largest timeout (every phase ends on its timeout).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/algos/group.h"

namespace regent::sim::algos::bully {

enum class Kind : uint8_t { kElection, kAnswer, kCoordinator, kHeartbeat };

struct Message {
  Kind kind = Kind::kElection;
  MemberId from = kNoMember;
  MemberId to = kNoMember;
};

// ELECTION, ANSWER and COORDINATOR are the election's cost; heartbeats are failure detection.
bool counts_as_election(const Message& m);

struct Config {
  GroupConfig group;           // The coordinator's heartbeats and the failure timeout.
  int answer_ticks = 3;        // How long an ELECTION waits for an ANSWER from a higher member.
  int coordinator_ticks = 10;  // After an ANSWER, how long to wait for the COORDINATOR.
};

class Bully {
 public:
  enum class Phase : uint8_t { kFollowing, kElecting, kAwaitingCoordinator, kLeading };

  explicit Bully(Config config);

  // A (re)started member holds an election at once, as the algorithm prescribes on recovery.
  void start_election();
  void tick();
  // Messages not addressed to this member are ignored.
  void step(const Message& m);
  std::vector<Message> take_messages();

  MemberId id() const { return config_.group.id; }
  MemberId leader() const { return leader_; }
  bool is_leader() const { return phase_ == Phase::kLeading; }
  Phase phase() const { return phase_; }
  void check_invariants() const;

 private:
  void on_election(MemberId from);
  void on_coordinator(MemberId from);
  void on_heartbeat(MemberId from);
  void become_leader();
  void follow(MemberId leader);
  void send(Kind kind, MemberId to);
  void send_to_all_others(Kind kind);
  bool has_higher_member() const;

  Config config_;
  Phase phase_ = Phase::kFollowing;
  MemberId leader_ = kNoMember;
  int elapsed_ = 0;  // Ticks in the current phase (or since the coordinator was last heard).
  std::vector<Message> outbox_;
};

}  // namespace regent::sim::algos::bully
