// The nemesis: faults injected one at a time on a seeded schedule while the workloads run, each
// held for a few seconds and then healed, with quiet time between them.
//
// Faults (the names of --nemesis):
//   kill       SIGKILL of a random member or of the leader (sometimes a majority), restarted at
//   heal pause      SIGSTOP of a random member or the leader, longer than the election timeout
//   partition  halves (majority/minority), the leader isolated, one-way (a member hears nobody
//              but everybody hears it), and flapping halves (cut and healed every second)
//   bridge     two halves that only one member connects
//   clock      one member's wall clock moved by seconds to an hour, either way (libfaketime;
//              CLOCK_MONOTONIC untouched, as on a real machine), back at heal
//   churn      a member removed from the cluster (Cluster.MemberRemove) and stopped, its data
//              wiped; at heal added back (MemberAdd) and started empty with
//              --initial-cluster-state existing, to catch up from the leader
//   disk       a member killed, one bit flipped in its newest log segment or snapshot, restarted:
//              a refusal to start is the right answer (its own data is then given back so it
//              rejoins); a member that starts must not serve the damage (the checks judge)
//   power      the disks slowed for a second or two, then every member loses power at once:
//              killed together, each data directory rolled back to what its member had synced
//              (synced/synced_image.h), all restarted but one, which comes back at heal (the
//              leader half of the time, so that the others elect without what only it had);
//              what a member acknowledged must have been synced
// Invariants:
//  - At most one fault is active at a time, and heal() ends it whatever it was: cuts removed,
//    paused members resumed, killed members restarted. heal_all() is idempotent.
//  - Every choice comes from the seed's PRNG, so a schedule is replayed by its seed (the timing of
//    the cluster's answers, e.g. who leads, still differs between runs).
//  - A member that exits without being killed is noted (a crash of the system under test) and
//    restarted at the next heal.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "cluster.h"
#include "common/prng.h"
#include "net_world.h"

namespace regent::chaos {

struct FaultEvent {
  uint64_t start_us = 0;
  uint64_t end_us = 0;
  std::string kind;    // kill, pause, partition, bridge, ...
  std::string detail;  // "n2 (leader)", "{n1,n2} | {n3}", ...
};

const std::vector<std::string>& known_nemeses();

class Nemesis {
 public:
  Nemesis(NetWorld& world, Cluster& cluster, std::vector<std::string> kinds, uint64_t seed);

  // Injects faults until `until` or `stop`; runs on the harness's main thread (it starts
  // member processes, which must outlive the thread that forks them).
  void run(std::chrono::steady_clock::time_point until, const std::atomic<bool>& stop);
  // Ends the active fault, if any, and restarts members that are down.
  void heal_all();

  const std::vector<FaultEvent>& schedule() const { return schedule_; }
  const std::vector<std::string>& notes() const { return notes_; }
  // Faults the harness failed to inject or heal (an iptables or ip command failing, a data
  // directory not copied): a run with any did not test what it claims, so it cannot pass.
  int harness_failures() const { return harness_failures_; }

 private:
  // Each begins a fault and returns its description; the fault lasts until heal_all().
  std::string kill();
  std::string pause();
  std::string partition();
  std::string bridge();
  std::string clock();
  std::string disk();
  std::string power();
  // The power nemesis's slow disk, on every member (0: off).
  void set_sync_delay_us(uint64_t us);
  std::string churn();
  // Adds the member churn() removed back, if any (bounded retries); false if it could not.
  bool add_back_removed();
  // A member: the leader half of the time (when one is known), else a random one.
  int pick_target(std::string* label);
  // Cuts both directions between every pair not in the same group.
  void cut_between(const std::vector<std::vector<int>>& groups);
  std::string describe_groups(const std::vector<std::vector<int>>& groups) const;
  void note_crashed_members();
  void harness_failure(std::string what);
  bool sleep_until(std::chrono::steady_clock::time_point t, const std::atomic<bool>& stop);

  NetWorld& world_;
  Cluster& cluster_;
  std::vector<std::string> kinds_;
  Prng rng_;
  std::vector<FaultEvent> schedule_;
  std::vector<std::string> notes_;
  // Flapping: the groups to cut again each second until heal.
  std::vector<std::vector<int>> flapping_;
  // Churn: the member removed and not yet added back (-1: none).
  int removed_ = -1;
  int harness_failures_ = 0;
};

}  // namespace regent::chaos
