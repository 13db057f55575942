// The measurements the comparison makes of one run, the same for every algorithm.
//
// "Acting as leader" is defined so that it means the same for all three: a member acts as
// leader while it is up, not paused, believes it leads, and its algorithm's acknowledgement rule
// can be met right now. Bully's and Ring's leaders acknowledge a write on their own, so for them
// believing is acting. A Raft leader's write is acknowledged only once a majority in its term
// has it, so it acts only while a majority of members (itself included) are up, unpaused, in its
// term and reachable both ways. A Raft leader cut off in an old term still believes it leads
// until check-quorum steps it down; that time is measured apart, as stale_leader_us.
//
// Invariant: time is integrated between consecutive events, which are the only moments the
// state can change, so split_brain_us is exact, not sampled.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/algos/contender.h"
#include "sim/algos/group.h"

namespace regent::sim::algos {

// What the world sees after an event.
struct Moment {
  std::vector<MemberId> acting;  // Members acting as leader (see above).
  // Members that believe they lead, with the term they lead in (0 for Bully and Ring).
  std::set<std::pair<MemberId, uint64_t>> believers;
  // Exactly one member acts as leader and every member that is up and unpaused follows it.
  bool agreed = false;
};

struct RunResult {
  Algorithm algorithm = Algorithm::kRaft;
  uint64_t seed = 0;
  Micros split_brain_us = 0;   // Time with more than one member acting as leader.
  Micros stale_leader_us = 0;  // Time with more than one member believing it leads.
  size_t max_acting = 0;       // The most members acting as leader at one moment.
  std::optional<Micros> first_split_brain_at;
  std::vector<Micros> failovers;  // From a leader's crash to the next single acting leader.
  uint64_t elections = 0;         // Times a member took up leadership (a new term for Raft).
  uint64_t election_messages = 0;
  uint64_t messages = 0;
  uint64_t writes = 0;            // Writes handed to a member that believed it led.
  uint64_t acked = 0;             // Writes acknowledged to the client.
  uint64_t acked_lost = 0;        // Acknowledged, and absent from the final leader's register.
  std::vector<std::string> lost;  // How the first few lost writes were acknowledged.
  bool agreed_at_end = false;     // One leader, followed by all, at the end of the run.
  // From each heal of a partition (and from the end of the fault phase) to the start of an
  // agreement (one acting leader, followed by every running member) that held for stable_us;
  // a heal followed by another fault before that is not counted.
  std::vector<Micros> heals;
};

class Scorecard {
 public:
  // stable_us: how long an agreement must hold to count as a stable single leader.
  Scorecard(Algorithm a, uint64_t seed, Micros stable_us);

  // Accounts for the time from the previous event to now, in the previous moment's state.
  void advance(Micros now);
  // What began at a moment, for the narration.
  struct Onsets {
    bool split_brain = false;    // More than one member acts as leader, from now.
    bool two_believers = false;  // More than one member believes it leads, from now.
  };
  // The state after the event at `now`.
  Onsets observe(Micros now, const Moment& moment);
  void leader_crashed(Micros now);
  void message_sent(const Envelope& e);
  void write_given() { ++result_.writes; }
  void acknowledged(uint64_t write_id, MemberId by, Micros now);
  // A partition healed (or every fault stopped): time to a stable single leader starts.
  void healed(Micros now) { heal_from_ = now; }
  // Any other fault: what follows is no longer the heal's doing.
  void disturbed() { heal_from_.reset(); }
  // The final register: writes acknowledged and absent from it are lost.
  RunResult finish(const std::vector<uint64_t>& final_history);

 private:
  RunResult result_;
  Micros last_ = 0;
  size_t acting_ = 0;
  size_t believers_ = 0;
  std::set<std::pair<MemberId, uint64_t>> prev_believers_;
  std::optional<Micros> failover_from_;
  std::optional<Micros> agreed_since_;
  std::optional<Micros> heal_from_;
  Micros stable_us_;
  std::map<uint64_t, std::pair<MemberId, Micros>> acks_;  // write -> who acknowledged it, when
};

}  // namespace regent::sim::algos
