// What the comparison world (election_world.h) drives: one member running one election
// algorithm with a replicated register on top. Bully, Ring and Raft each sit behind this
// interface, so the same world, faults and measurements apply to all three.
//
// A register write goes to a member that believes it leads; the member acknowledges it when its
// algorithm's rule says so (acks come out of take_acks()). For Raft that is once the entry is
// committed (a majority has it); for Bully and Ring, used naively, as soon as the leader has
// written it itself and sent copies to its followers, which adopt whatever their leader sends.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "raft/message.h"
#include "sim/algos/bully.h"
#include "sim/algos/group.h"
#include "sim/algos/ring.h"

namespace regent::sim::algos {

// Bully's and Ring's leader copies its whole register to its followers.
struct RegisterCopy {
  std::vector<uint64_t> history;
};

using Payload = std::variant<bully::Message, ring::Message, raft::Message, RegisterCopy>;

struct Envelope {
  MemberId from = kNoMember;
  MemberId to = kNoMember;
  Payload payload;
  bool election = false;  // Part of electing a leader (counted as the election's cost).
};

class Contender {
 public:
  virtual ~Contender() = default;

  virtual void tick() = 0;
  virtual void receive(const Envelope& e) = 0;
  virtual std::vector<Envelope> take_outbox() = 0;

  // A crash loses what the member holds in memory; its register (on its disk) survives. A
  // restart brings the member back from that disk, as a recovering process would.
  virtual void crash() = 0;
  virtual void restart() = 0;

  virtual bool believes_leader() const = 0;
  virtual MemberId leader_view() const = 0;
  // The term a leader's writes need a majority in, or nullopt when a leader acknowledges writes
  // on its own authority (then believing it leads is acting as leader).
  virtual std::optional<uint64_t> quorum_term() const = 0;

  // A client write, given only to a member that believes it leads.
  virtual void write(uint64_t write_id) = 0;
  virtual std::vector<uint64_t> take_acks() = 0;
  // The register's writes in order, as this member holds them now.
  virtual const std::vector<uint64_t>& history() const = 0;
};

enum class Algorithm : uint8_t { kRaft, kBully, kRing };

std::string_view to_string(Algorithm a);
std::optional<Algorithm> algorithm_from_string(std::string_view name);

struct Timing {
  int heartbeat_ticks = 1;
  int election_ticks = 10;  // Raft's election timeout; Bully's and Ring's failure timeout.
};

std::unique_ptr<Contender> make_contender(Algorithm a, MemberId id, const Members& members,
                                          const Timing& timing, uint64_t seed);

}  // namespace regent::sim::algos
