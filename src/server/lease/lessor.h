// The leader's side of leases: when each lease expires. The lease table itself is replicated
// state (kv/lease_table.h); time is not, so only the leader keeps each lease's deadline, in
// memory, on its steady clock, and turns a passed deadline into a revoke entry that every member
// applies alike. Followers keep nothing and forward KeepAlive and TimeToLive to the leader.
//
// Invariants:
//  - Deadlines exist only while this member leads (as its Raft loop last reported it). On
//    becoming leader every lease gets now + (its checkpointed remaining TTL, else its TTL) + the
//    election timeout (grace: its clients may still be finding the new leader); a lease granted
//    later gets now + TTL when the lessor first sees it. Stepping down forgets every deadline.
//  - A lease is deleted only through the log: a LeaseRevoke proposed once its deadline passed,
//    proposed again after `revoke_retry` if it has not been applied by then.
//  - A renewal sets the deadline to now + TTL and answers the TTL; an unknown lease, or one past
//    its deadline (its revoke is on its way), is not renewed and answers 0, as etcd's does.
//  - Checkpoints keep what a new leader would assume close to the truth. Every second, a lease's
//    remaining TTL (not counting a promotion's grace) is proposed when the recorded value (its
//    checkpoint, else its TTL) exceeds it by `checkpoint_interval` or more (it ran down
//    unrenewed), or falls below it (it was renewed since; 0, "the full TTL", is proposed if the
//    renewal was within the second). So a change of leader extends an abandoned lease by at most
//    the interval, a second and the grace, instead of renewing it to its full TTL, and a renewed
//    lease is recorded as such within a second. Leases renewed more often than the interval are
//    never checkpointed.
//
// Thread-safety: on_tick and on_leader run on the Raft loop; renew and time_to_live on gRPC's
// threads. The lessor reads the store through the state machine's shared lock and never holds
// its own mutex while taking that lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/expected.h"
#include "regentpb/request.pb.h"
#include "server/host/raft_node.h"
#include "server/node/failure.h"
#include "server/node/state_machine.h"

namespace regent::server {

struct LessorOptions {
  // The grace a new leader adds to every lease (etcd's: the election timeout).
  std::chrono::milliseconds election_timeout{1000};
  // How far what a new leader would assume may drift from a lease's true remaining TTL before a
  // checkpoint is proposed; 0 turns checkpoints off.
  std::chrono::milliseconds checkpoint_interval{5000};
  // An expired lease whose revoke has not been applied by then is proposed again (etcd: the
  // request timeout).
  std::chrono::milliseconds revoke_retry{7000};
};

class Lessor final : public NodeObserver {
 public:
  using Clock = std::chrono::steady_clock;
  // Hands an entry to the Raft loop (RaftNode::propose); the outcome does not matter to the
  // lessor, which learns everything from the applied state.
  using Propose = std::function<void(regentpb::InternalRequest)>;

  Lessor(const LessorOptions& options, const StateMachine& machine, Propose propose);

  // Leader only (else not_leader()): moves the lease's deadline to now + TTL and answers the
  // TTL; 0 for a lease that does not exist or is past its deadline.
  Expected<int64_t, Failure> renew(int64_t id, Clock::time_point now = Clock::now());

  struct TimeToLive {
    int64_t ttl = -1;  // Whole seconds left; -1: no such lease (etcd's answer).
    int64_t granted_ttl = 0;
    std::vector<std::string> keys;  // When asked for.
  };
  // Leader only (else not_leader()).
  Expected<TimeToLive, Failure> time_to_live(int64_t id, bool with_keys,
                                             Clock::time_point now = Clock::now());

  bool leading() const;

  // Open keep-alive streams register here to be ended from outside: with "no leader" when this
  // member loses its leader, if they asked for one (hasleader: etcd cancels those), and with
  // "server stopped" by end_streams() when the member stops. `end` is called under a lock (on
  // the loop thread, or the stopping one): it must only finish its call. Returns a token for
  // remove_stream(), which must be called before whatever `end` touches goes away.
  using EndStream = std::function<void(const Failure&)>;
  uint64_t add_stream(bool needs_leader, EndStream end);
  void remove_stream(uint64_t token);
  void end_streams(const Failure& why);

  // NodeObserver, on the loop thread.
  void on_tick(Clock::time_point now) override;
  void on_leader(raft::NodeId leader, bool is_self, raft::Term term) override;

 private:
  struct Held {
    Clock::time_point deadline;
    int64_t ttl = 0;
    int64_t checkpointed = 0;         // The store's remaining TTL for it; 0: none.
    Clock::duration grace{};          // Added on promotion, until the next renewal.
    Clock::time_point revoke_sent{};  // When its revoke was last proposed; epoch: never.
  };

  // With mu_: the deadlines follow the store's leases (new ones added, revoked ones dropped).
  void sync(const kv::LeaseTable& leases, Clock::time_point now);
  void collect_revokes(Clock::time_point now, std::vector<regentpb::InternalRequest>& out);
  void collect_checkpoints(Clock::time_point now, std::vector<regentpb::InternalRequest>& out);
  // A lease the lessor has not seen yet: when it expires, and the grace included.
  Held first_seen(int64_t ttl, int64_t checkpointed, Clock::time_point now) const;

  const LessorOptions options_;
  const StateMachine& machine_;
  const Propose propose_;

  mutable std::mutex mu_;  // Guards everything below but the streams.
  bool leading_ = false;
  bool promoting_ = false;  // Leading, and the leases held before have no deadline yet.
  std::map<int64_t, Held> held_;
  Clock::time_point next_checkpoint_scan_{};

  struct Stream {
    bool needs_leader = false;
    EndStream end;
  };
  std::mutex streams_mu_;
  uint64_t last_token_ = 0;
  std::map<uint64_t, Stream> streams_;
};

}  // namespace regent::server
