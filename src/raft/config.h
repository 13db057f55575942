// Tuning and safety switches of one member's consensus core.
#pragma once

#include <cstdint>
#include <string>

#include "common/logger.h"
#include "raft/log/storage.h"
#include "raft/read_only.h"
#include "raft/types.h"

namespace regent::raft {

struct Config {
  NodeId id = kNone;

  // Time is counted in ticks; the host decides how long a tick is. A follower that hears nothing
  // from a leader for a randomized [election_tick, 2 * election_tick) ticks campaigns; the leader
  // sends heartbeats every heartbeat_tick. election_tick must exceed heartbeat_tick.
  int election_tick = 10;
  int heartbeat_tick = 1;

  // Read-only view of what the host persisted. Must outlive the core.
  const LogStorage* storage = nullptr;
  // Entries up to here were already applied by the host (set on restart). 0 means none.
  Index applied = 0;

  // Byte limit of the entries in one append message (at least one entry is always sent).
  uint64_t max_size_per_msg = 1 << 20;
  // Byte limit of the committed entries handed out in one Ready.
  uint64_t max_committed_size_per_ready = 64 << 20;
  // Payload bytes the leader accepts that are not committed yet; beyond this proposals fail with
  // Error::kTooManyUncommitted. 0 disables the limit.
  uint64_t max_uncommitted_entries_size = 64 << 20;
  // Pipelining window per follower, in messages and in bytes (0: no byte limit).
  size_t max_inflight_msgs = 256;
  uint64_t max_inflight_bytes = 0;

  // The leader steps down when it has not heard from a quorum within an election timeout; a
  // follower that heard from a leader within that time ignores vote requests (the leader lease).
  bool check_quorum = true;
  // Campaign only after a pre-vote round shows a majority would vote, so a member that was cut
  // off and bumped its term does not depose a healthy leader on return.
  bool pre_vote = true;
  // A follower told that its leader's process is gone (report_leader_down: its connection broke
  // and it refuses new ones) gives up the leader lease and campaigns within a few heartbeats
  // instead of a whole election timeout. Safe only with pre_vote and check_quorum: the early
  // campaign is a pre-vote, which members still hearing from a live leader refuse, so a false
  // report costs nothing. Must be off with lease-based reads, which rely on no member helping
  // elect another leader while the lease lasts.
  bool campaign_on_leader_down = false;
  ReadOnlyOption read_only_option = ReadOnlyOption::kSafe;
  // When set, followers drop proposals instead of forwarding them to the leader.
  bool disable_proposal_forwarding = false;
  // Reads a new leader holds back until it has committed an entry of its term; beyond this
  // count they are dropped (the client times out and retries).
  size_t max_pending_reads = 4096;

  // The host knows this member lost entries it may have acknowledged up to this index (0: no
  // such loss known): it will not vote or campaign until it has caught up past it. A stored
  // commit beyond the recovered log is detected by the core itself.
  Index lost_entries_up_to = 0;
  // Seeds the election-timeout randomness; the same seed gives the same timeouts.
  uint64_t seed = 1;

  // Where the core reports elections and other events. Null means silent.
  Logger* logger = nullptr;

  // Empty if the configuration is usable, else what is wrong with it.
  std::string validate() const;
};

}  // namespace regent::raft
