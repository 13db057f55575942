#include "sim/algos/contender.h"

#include "sim/algos/naive_contender.h"
#include "sim/algos/raft_contender.h"

namespace regent::sim::algos {

std::string_view to_string(Algorithm a) {
  switch (a) {
    case Algorithm::kRaft:
      return "raft";
    case Algorithm::kBully:
      return "bully";
    case Algorithm::kRing:
      return "ring";
  }
  return "?";
}

std::optional<Algorithm> algorithm_from_string(std::string_view name) {
  for (Algorithm a : {Algorithm::kRaft, Algorithm::kBully, Algorithm::kRing}) {
    if (to_string(a) == name) return a;
  }
  return std::nullopt;
}

std::unique_ptr<Contender> make_contender(Algorithm a, MemberId id, const Members& members,
                                          const Timing& timing, uint64_t seed) {
  // Bully's and Ring's failure timeout is Raft's election timeout, their heartbeat Raft's.
  const GroupConfig group{.id = id,
                          .members = members,
                          .heartbeat_ticks = timing.heartbeat_ticks,
                          .failure_ticks = timing.election_ticks};
  switch (a) {
    case Algorithm::kRaft:
      return std::make_unique<RaftContender>(id, members, timing, seed);
    case Algorithm::kBully:
      // The answer wait (and Ring's ACK wait) is three heartbeats, the longest a live member is
      // assumed to take to reply.
      return std::make_unique<NaiveContender<bully::Bully, bully::Config, bully::Message>>(
          bully::Config{.group = group,
                        .answer_ticks = 3 * timing.heartbeat_ticks,
                        .coordinator_ticks = timing.election_ticks});
    case Algorithm::kRing:
      return std::make_unique<NaiveContender<ring::Ring, ring::Config, ring::Message>>(
          ring::Config{.group = group,
                       .ack_ticks = 3 * timing.heartbeat_ticks,
                       .round_ticks = 3 * timing.election_ticks});
  }
  return nullptr;
}

}  // namespace regent::sim::algos
