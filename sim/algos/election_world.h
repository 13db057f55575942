// A compact simulated world in which one election algorithm (Bully, Ring, or the real Raft
// core) runs on every member, with a replicated register on top, under network and process
// faults. The comparison (compare.h) runs the three over the same seeds.
//
// One seed fixes everything: the options (world_options.h) and three PRNG streams, one for
// faults, one for the network, one for the clients. The fault stream is drawn the same way
// whatever the algorithm does, so the three meet the same fault kinds at the same moments (the
// target of a fault aimed at "the leader" follows each algorithm's own leader).
//
// The fault model:
//  - network: per-message loss and delay (a wide range reorders); symmetric partitions in two
//    groups, checked when a message arrives; healed by the nemesis or at the end;
//  - members: crash (memory lost, the register on disk kept) and restart; while at least a
//    majority is up, so that Raft can elect at all and failover times compare; pauses, during
//    which a member neither ticks nor processes messages (they wait for it, as in its socket
//    buffers) and after which it carries on as if no time had passed;
//  - clocks: each member's ticks run at its own rate (skew).
// After the fault phase every partition heals and every crashed member restarts; the run goes
// on for settle_us and must end with one leader that every member follows.
//
// Invariants: events run in (time, sequence) order, so a seed replays exactly; every event is
// followed by a measurement of the moment (scorecard.h); a run processes at most kMaxEvents.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/prng.h"
#include "sim/algos/contender.h"
#include "sim/algos/scorecard.h"
#include "sim/algos/world_options.h"

namespace regent::sim::algos {

class ElectionWorld {
 public:
  // Told of faults and of every moment split brain begins, when set (regent-sim --verbose).
  using Narrator = std::function<void(const std::string&)>;
  static constexpr uint64_t kMaxEvents = 20'000'000;

  ElectionWorld(Algorithm algorithm, const WorldOptions& options, Narrator narrator = {});
  RunResult run();

 private:
  enum class EventKind : uint8_t { kTick, kDeliver, kNemesis, kWrite, kResume, kStopFaults };
  struct Event {
    EventKind kind = EventKind::kTick;
    MemberId member = kNoMember;
    uint64_t incarnation = 0;  // kTick: a tick of an earlier incarnation is dropped.
    std::optional<Envelope> envelope;
  };
  struct Node {
    std::unique_ptr<Contender> contender;
    bool up = true;
    Micros paused_until = 0;
    uint64_t incarnation = 0;
    Micros tick_period_us = 0;
  };

  void schedule(Micros at, Event e);
  void handle(Event& e);
  void on_tick(const Event& e);
  void on_deliver(Event& e);
  void on_write();
  // Sends what the member's outbox holds through the network and records its acknowledgements.
  void flush(MemberId id);
  bool available(MemberId id) const;  // Up and not paused.
  bool link_open(MemberId from, MemberId to) const;
  bool acting(MemberId id) const;
  Moment moment() const;
  std::optional<MemberId> sole_acting_leader() const;
  void narrate(const std::string& what) const;
  std::string describe_views() const;

  // Faults (election_world_faults.cc).
  void on_nemesis();
  void crash(MemberId id);
  void restart(MemberId id);
  void partition(uint64_t side_mask);
  void heal();
  void pause(MemberId id, Micros duration);
  void stop_faults();
  size_t members_down() const;

  Algorithm algorithm_;
  WorldOptions options_;
  Narrator narrator_;
  Prng fault_prng_;
  Prng net_prng_;
  Prng client_prng_;
  Micros now_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t next_write_id_ = 1;
  bool faults_on_ = true;
  std::map<std::pair<Micros, uint64_t>, Event> queue_;
  std::map<MemberId, Node> nodes_;
  Members ids_;
  std::set<std::pair<MemberId, MemberId>> cut_;  // Directed links that drop everything.
  Scorecard card_;
};

}  // namespace regent::sim::algos
