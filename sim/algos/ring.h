// The Chang and Roberts ring election ("An improved algorithm for decentralized extrema-finding
// in circular configurations of processes", CACM 1979) as a pure state machine with the shape of
// the Raft core: tick() and step() in, messages and a leader view out. No clock, no randomness,
// no I/O.
//
// The members form a static logical ring in id order (each one's successor is the next higher
// id, wrapping). An initiator marks itself a participant and sends ELECTION(own id) to its
// successor. A member receiving ELECTION(c) forwards it if c is higher than its id; replaces it
// with its own id and forwards if c is lower and it is not yet a participant; drops it if c is
// lower and it already is one; and if c is its own id, its message went round the whole ring
// unbeaten: it is the leader, and sends ELECTED(own id) round the ring.
//
// Beyond the 1979 algorithm, which assumes a ring without failures, two additions make it run at
// all with crashes, as textbook presentations add them: every ring message is acknowledged (ACK)
// and a member that gets no ACK within ack_ticks skips that successor for the next one; and the
// leader sends HEARTBEAT to all, a member that hears none for failure_ticks starts an election.
// A member whose every successor is silent takes itself for the whole ring and leads; that is
// the partition behaviour docs/ELECTION-ALGORITHMS.md measures. A message resent past a slow
// (not dead) successor arrives twice; a member passes each candidate and each winner on once.
//
// Invariants (checked by check_invariants()):
//  - at most max_pending() ring messages await an ACK, each aimed at a member other than this
//    one, at a ring distance in [1, n);
//  - the election timer never exceeds round_ticks (a stalled round starts over).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "sim/algos/group.h"

namespace regent::sim::algos::ring {

enum class Kind : uint8_t { kElection, kElected, kAck, kHeartbeat };

struct Message {
  Kind kind = Kind::kElection;
  MemberId from = kNoMember;
  MemberId to = kNoMember;
  MemberId candidate = kNoMember;  // kElection: the highest id seen; kElected: the winner.
  uint64_t seq = 0;                // Matches an ACK to the ring message it acknowledges.
};

// ELECTION, ELECTED and their ACKs are the election's cost; heartbeats are failure detection.
bool counts_as_election(const Message& m);

struct Config {
  GroupConfig group;     // The leader's heartbeats and the failure timeout.
  int ack_ticks = 3;     // How long a ring message waits for its ACK before skipping ahead.
  int round_ticks = 30;  // A participant that sees no ELECTED by then starts over.
};

class Ring {
 public:
  explicit Ring(Config config);

  // A (re)started member starts an election at once, so that it learns (or becomes) the leader.
  void start_election();
  void tick();
  // Messages not addressed to this member are ignored.
  void step(const Message& m);
  std::vector<Message> take_messages();

  MemberId id() const { return config_.group.id; }
  MemberId leader() const { return leader_; }
  bool is_leader() const { return leader_ == id(); }
  bool participant() const { return participant_; }
  size_t max_pending() const { return 4 * ring_.size(); }
  void check_invariants() const;

 private:
  // A ring message sent and not yet acknowledged.
  struct Pending {
    Message message;
    size_t distance = 1;  // How many places along the ring the current target is.
    int waited = 0;       // Ticks since it was sent to that target.
  };

  void on_election(MemberId candidate);
  void on_elected(MemberId winner);
  void on_heartbeat(MemberId from);
  void become_leader();
  void follow(MemberId leader);
  // Sends a ring message to the nearest successor and keeps it until acknowledged.
  void pass_on(Kind kind, MemberId candidate);
  void retry_unacknowledged();
  MemberId successor(size_t distance) const;

  Config config_;
  Members ring_;     // The members in ring order (ascending id).
  size_t self_ = 0;  // This member's place in ring_.
  MemberId leader_ = kNoMember;
  bool participant_ = false;
  MemberId forwarded_ = kNoMember;  // The highest candidate passed on in this round.
  int elapsed_ = 0;  // Ticks since the leader was heard, or since this election round began.
  uint64_t next_seq_ = 1;
  std::deque<Pending> pending_;
  std::vector<Message> outbox_;
};

}  // namespace regent::sim::algos::ring
