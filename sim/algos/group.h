// Names shared by the election algorithms compared in sim/algos/ (Bully, Ring and Raft), and the
// group settings Bully and Ring have in common.
//
// Bully and Ring know nothing of Raft, so they do not use raft::NodeId; the value is the same
// kind of number (a member id, 0 meaning "none"), which lets the world hand one member's id to
// any of the three cores unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace regent::sim::algos {

using MemberId = uint64_t;
inline constexpr MemberId kNoMember = 0;

// Simulated time in microseconds.
using Micros = uint64_t;

// The members of a static group, each with a distinct non-zero id. Both Bully and Ring are
// defined over such a fixed set: neither has a way to change it while running.
using Members = std::vector<MemberId>;

// One member's place in its group and its failure detector. Neither 1970s algorithm says how a
// member learns that the leader died (they assume it is told, reliably); here the leader sends a
// heartbeat every heartbeat_ticks and a member that hears none for failure_ticks takes it for
// dead: a fixed timeout, the synchronous assumption.
struct GroupConfig {
  MemberId id = kNoMember;
  Members members;          // Every member of the group, this one included.
  int heartbeat_ticks = 1;  // The leader's heartbeat period.
  int failure_ticks = 10;   // Silence from the leader after which a member suspects it.
};

// Asserts that the id is set and in the group once, the ids are distinct, and heartbeats come
// more often than a failure is suspected.
void check_group(const GroupConfig& group);

}  // namespace regent::sim::algos
