// The node core: everything a member does with its consensus core's output (persist, send,
// apply, answer, snapshot), as one deterministic component with no threads and no clock of its
// own. regentd runs it on its threads (server/host/raft_node.h); the simulator runs the very same
// component with the real storage over a simulated disk, the real state machine and observers,
// and delivers the completions in whatever order its seed picks (sim/world.h).
//
// Events in: a client's write, read or leadership transfer; peer messages and the transport's
// reports; tick(now) (time is only ever told); synced(round) (the host made a round's writes
// durable); image_taken(...) (a snapshot image the core asked for). Events only feed the Raft
// core; take_actions() then runs the rounds they made ready (so inputs given together share one
// round: one write, one sync) and returns what the host must do: messages to send, a round whose
// writes to make durable, answers to run (outside the core: they may block on a client), an
// image to take.
//
// A round: the core takes a Ready from the Raft core, hands out the messages that need nothing
// durable (the leader's appends go out while it writes: Raft thesis §10.2.1), applies what is
// committed unless a snapshot comes first (committed means durable on a majority already), and
// queues the round's writes (entries, hard state, snapshot). The rounds form a pipeline: while
// the host syncs the log on its storage thread, the core keeps stepping messages, proposals,
// reads and ticks, and every Ready they make goes out as a round of its own, its writes queued;
// when the sync is reported done, everything queued meanwhile is written and synced by one more
// fdatasync (group commit). Rounds finish in order, each once it and every round before it is
// durable: then its promises (votes, append acknowledgements) go out, a snapshot it carries is
// installed (no round starts while one is outstanding: what comes after must be applied after
// it), and the Raft core is told, which is when a leader counts its own entries.
//
// Invariants (check_invariants(): after every event in the simulator, in every build):
//  - Rounds finish in the order the Raft core made them; no message that promises durability
//    leaves before its round and every earlier one are synced, and the leader counts its own
//    entries only then. Nothing is written to storage while a sync is outstanding (the host's
//    fdatasync runs beside the core).
//  - applied <= commit; the state machine has applied exactly the entries up to applied().
//  - The term and vote storage holds durably equal the Raft core's once no round is outstanding.
//  - Every waiting client is answered exactly once: by its entry, its read, an error, a timeout,
//    or the failure stop() is given (reads held for the next confirmation round included). A client
//    is answered for an entry only with what applying it gave, and a read only once applied >= its
//    read index.
//  - At most one snapshot image is outstanding, taken at the index it claims.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "raft/raw_node.h"
#include "regentpb/request.pb.h"
#include "server/node/failure.h"
#include "server/node/fault_points.h"
#include "server/node/state_machine.h"
#include "storage/disk_storage.h"

namespace regent::server {

// Time as the host tells it; the core never reads a clock.
using Clock = std::chrono::steady_clock;
using Time = Clock::time_point;

struct NodeOptions {
  raft::NodeId id = raft::kNone;
  std::chrono::milliseconds tick{100};  // --heartbeat-interval: one tick, one heartbeat.
  int election_ticks = 10;              // --election-timeout / --heartbeat-interval.
  uint64_t snapshot_count = 10000;      // Applied entries between two snapshots.
  std::chrono::milliseconds request_timeout{5000};
  size_t max_pending_requests = 20000;  // Waiting writes and reads; beyond: too many requests.
  // Committed entries not yet applied beyond which writes are refused (etcd's 5000).
  uint64_t max_apply_lag = 5000;
  std::optional<regentpb::Member> publish;  // This member's client URLs, published once.
  // A follower whose leader's process is seen gone (its peer connection broke and reconnecting
  // is refused) campaigns at once instead of after an election timeout; raft::Config has why
  // this is safe.
  bool campaign_on_leader_down = true;
  // The host knows this member lost log entries it may have acknowledged (raft::Config has the
  // rule): it votes again only once caught up from a leader. 0: no loss known.
  raft::Index lost_entries_up_to = 0;
  // After a (re)start, the first election timeout runs from its last tick rather than from
  // zero (etcd's fast-forward): a cluster restarted whole elects a leader within one to
  // election_ticks ticks instead of a whole timeout more. Pre-vote keeps a member restarted
  // alone from disturbing a live leader either way.
  bool fast_forward_election = true;
  // Determinism: the Raft core's election jitter, and the first request id (ids must never
  // repeat across restarts: an entry proposed by an earlier incarnation and applied after a
  // restart must not match a new client; regentd starts them from the wall clock).
  uint64_t seed = 0;
  uint64_t first_request_id = 0;
  // Raft's message size limit (0: the core's default).
  uint64_t max_msg_bytes = 0;
  // The Raft core's pre-vote and check-quorum (on in every real member; the simulator varies them).
  bool pre_vote = true;
  bool check_quorum = true;
  // --strict-reconfig-check (reconfig_checks.h).
  bool strict_reconfig_check = true;
  // --quota-backend-bytes (space_quota.h); 0: no quota.
  uint64_t quota_bytes = 0;
  // Test builds only (fault_points.h): an ordering deliberately broken, to prove it is caught.
  NodeFault fault = NodeFault::kNone;
};

// What Maintenance.Status and response headers show.
struct NodeStatus {
  raft::NodeId id = raft::kNone;
  raft::NodeId leader = raft::kNone;
  raft::Term term = 0;
  raft::Index last_index = 0;
  raft::Index commit = 0;
  raft::Index applied = 0;
  bool is_leader = false;
  uint64_t reserved_disk_bytes = 0;  // storage::DiskStorage::reserved_bytes()
  std::vector<std::string> errors;
  // Leader only: how far each other member's log has been confirmed to match the leader's.
  struct Follower {
    raft::NodeId id = raft::kNone;
    raft::Index match = 0;
    bool learner = false;
    bool recently_active = false;
    std::string_view state;  // Raft's progress state (a literal: nothing to copy each round)
  };
  std::vector<Follower> followers;
  // Entries of this leader's log not yet confirmed on `f`.
  raft::Index lag(const Follower& f) const { return last_index - std::min(f.match, last_index); }
};

// Code that must follow what the member applies (the watch hub, the lessor, election queues),
// called from within the core's events: it must not block, and may call the host's propose() /
// read_index() entry points (those only enqueue).
class NodeObserver {
 public:
  virtual ~NodeObserver() = default;
  // Once per tick of the host's clock (--heartbeat-interval).
  virtual void on_tick(Time /*now*/) {}
  // After committed entries were applied (or a snapshot installed); `revision` is the store's.
  virtual void on_applied(raft::Index /*applied*/, int64_t /*revision*/) {}
  // The leader this member knows changed; kNone: none known. `is_self`: this member leads.
  virtual void on_leader(raft::NodeId /*leader*/, bool /*is_self*/, raft::Term /*term*/) {}
  // Each committed entry as it is applied (the simulator's checkers record them).
  virtual void on_entry(const raft::Entry& /*entry*/) {}
  // A leader's snapshot replaced the state machine (before on_applied reports it).
  virtual void on_snapshot_installed(raft::Index /*index*/) {}
  // The member table as it stands after start(), a membership change applied, or a snapshot
  // installed (the transport follows it: peers added, moved, forgotten).
  virtual void on_members(const std::vector<regentpb::Member>& /*members*/) {}
  // This member's own removal was applied: it must stop (and never run again with this
  // identity). Called once.
  virtual void on_removed(raft::Index /*index*/) {}
};

using WriteDone = std::function<void(Expected<WriteResponse, Failure>)>;
using Done = std::function<void(Expected<void, Failure>)>;
using Answer = std::function<void()>;

// What the host must do after an event.
struct NodeActions {
  std::vector<raft::Message> messages;
  // Run in order, outside the core (answers reach clients; they may block).
  std::vector<Answer> answers;
  // Make storage's writes durable, then call synced(round): storage.sync(), or its three steps
  // with the fdatasync on another thread (storage.needs_sync(), sync_log_file(), finish_sync());
  // the core writes nothing to storage until synced(round).
  std::optional<uint64_t> sync_round;
  // Begin the state machine's image (StateMachine::begin_image()) before the next call into the
  // core: it has applied exactly up to `index` until then. Then, at any later time and on any
  // thread, run it, write it with storage.write_snapshot_file() under `metadata`, and report
  // its size with image_taken() (or image_failed()). The image itself is not handed back:
  // storage keeps it in its file, and the host frees it where freeing costs the loop nothing.
  struct Image {
    raft::Index index = 0;
    raft::SnapshotMetadata metadata;
  };
  std::optional<Image> image;
  // Storage failed: the member must stop (storage/ explains why it cannot retry).
  std::optional<std::string> fatal;

  bool empty() const {
    return messages.empty() && answers.empty() && !sync_round && !image && !fatal;
  }
};

class NodeCore {
 public:
  NodeCore(const NodeOptions& options, storage::DiskStorage& storage, StateMachine& machine,
           Logger& logger);

  // Restores the state machine from storage's snapshot and creates the Raft core.
  Expected<void, std::string> start();

  // Observers are called in the order added; add before start().
  void add_observer(NodeObserver& observer) { observers_.push_back(&observer); }

  // --- Events. They leave work for take_actions().
  void propose(regentpb::InternalRequest request, WriteDone done, Time now);
  // Several writes that arrived together: one proposal batch, one append, one sync.
  void propose_batch(std::vector<std::pair<regentpb::InternalRequest, WriteDone>> writes, Time now);
  // Completes once this member applied everything committed when the read was asked; the reads
  // given together share one confirmation round.
  void read_index(std::vector<Done> reads, Time now);
  // target kNone: the most up-to-date follower. Completes when the target leads.
  void transfer_leadership(raft::NodeId target, Done done, Time now);
  // Maintenance.Defragment: a snapshot of everything applied now, so that the log before it and
  // older snapshot files go (storage's own retention rules). Done once a snapshot at or beyond
  // this moment's applied index is durable, or with why it could not be taken.
  void defragment(Done done, Time now);
  // A membership change without a member record (the simulator's churn); kOk when proposed.
  raft::Error propose_conf_change(const raft::ConfChange& cc);
  // A membership change of the Cluster API (node_core_members.cc): checked here on the leader
  // (member_table.h, reconfig_checks.h), then one log entry that changes the member table and
  // the Raft configuration together where it applies; answered once applied, with the table.
  void propose_member_change(regentpb::MemberChange change, WriteDone done, Time now);
  void step(std::vector<raft::Message> messages);
  void report_unreachable(raft::NodeId peer);
  void report_peer_down(raft::NodeId peer);
  void report_snapshot(raft::NodeId peer, bool delivered);
  void tick(Time now);
  void synced(uint64_t round);
  void image_taken(raft::Index index, uint64_t image_bytes);
  void image_failed(raft::Index index, const std::string& why);
  // Answers every waiting client with `why`; the core takes no events afterwards.
  void stop(const Failure& why);

  // Runs the rounds the events made ready (until one waits for its sync) and hands out what the
  // host must do. Call it after each event, or after a batch of them.
  NodeActions take_actions();

  // --- Queries (the host's thread).
  NodeStatus status() const;
  // Set while this member must serve no reads (failure.h: catching_up, awaiting a leader after a
  // torn tail).
  std::optional<Failure> read_refusal() const;
  raft::Index applied() const { return applied_; }
  raft::Index snapshot_index() const { return snapshot_index_; }
  size_t rounds_outstanding() const { return rounds_.size(); }
  bool stopped() const { return stopped_; }
  const raft::Raft& raft() const { return raw_->raft(); }
  const NodeOptions& options() const { return options_; }
  // Throws (REGENT_ASSERT) on a broken invariant (the list at the top of this file).
  void check_invariants() const;

 private:
  struct Waiter {
    WriteDone done;
    Time deadline;
  };
  struct ReadBatch {
    std::vector<Done> done;
    Time deadline;
    raft::Index index = 0;  // Set once the read index is known.
  };
  struct Transfer {
    raft::NodeId target = raft::kNone;
    Done done;
    Time deadline;
  };
  // A Ready handed out by the Raft core and not yet acknowledged to it.
  struct Round {
    raft::Ready rest;  // What is left to do once durable (and, with a snapshot, to apply).
    bool needs_sync = false;
    bool written = false;
    bool synced = false;
    bool applied_early = false;
    bool acknowledged_early = false;  // kLeaderCountsBeforeDurable only.
  };

  // Runs rounds while the Raft core has any ready, then writes and syncs what is queued.
  void drive();
  void do_tick(Time now);
  void do_propose(std::vector<std::pair<regentpb::InternalRequest, WriteDone>>& writes, Time now);
  void do_read(std::vector<Done> reads, Time now);
  // Asks the Raft core for one read index for all of `reads` (one confirmation round).
  void issue_read(std::vector<Done> reads, Time now);
  // The reads held while a confirmation round was out, issued as one batch.
  void issue_held_reads(Time now);
  void do_transfer(Transfer t);
  void start_round();
  // Writes the rounds queued (unless a sync is outstanding) and asks for one sync of them all.
  void write_rounds();
  // Finishes the oldest rounds while they are durable.
  void finish_rounds();
  void finish_round(Round& round);
  bool snapshot_outstanding() const;
  void commit_image(raft::Index index, uint64_t image_bytes);
  void apply_ready(const raft::Ready& rd);
  void apply(const std::vector<raft::Entry>& entries);
  // node_core_members.cc: a kConfChange entry, and a membership change however it came.
  void apply_conf_entry(const raft::Entry& e);
  void apply_member_change(const regentpb::InternalRequest& request, raft::Index index,
                           const raft::ConfChange* cc);
  void note_active(Time now);
  void announce_members();
  void answer_reads();
  void maybe_request_image();
  void forget_abandoned_image(raft::Index index);
  void maybe_publish(Time now);
  void on_leader_change(raft::NodeId old_leader, raft::NodeId new_leader);
  void expire(Time now);
  void check_transfer(Time now);
  // Writes and reads waiting (not a leadership transfer: it outlives a change of leader).
  void fail_waiting(const Failure& f);
  void fatal(std::string message);
  void update_read_barrier();
  raft::NodeId best_transferee() const;
  uint64_t next_id() { return ++last_id_; }
  // Answers defragment() calls once a snapshot covers defrag_index_, or all with `failed`.
  void settle_defragment(const std::optional<Failure>& failed);
  // Answers the writes the space quota has no room for, and raises the NOSPACE alarm.
  void refuse_beyond_quota(std::vector<std::pair<regentpb::InternalRequest, WriteDone>>& writes,
                           Time now);

  NodeOptions options_;
  storage::DiskStorage& storage_;
  StateMachine& machine_;
  Logger& logger_;
  std::unique_ptr<raft::RawNode> raw_;
  std::vector<NodeObserver*> observers_;

  std::map<uint64_t, Waiter> waiters_;   // By request id; ids grow with time, so by deadline.
  std::map<uint64_t, ReadBatch> reads_;  // By read context.
  // One confirmation round at a time (etcd's read loop does the same): reads that arrive while
  // one is out wait here and ride the next together, so a burst of reads costs one heartbeat
  // round rather than one per arrival. The round out: its context, and when a next one may go
  // regardless (a round lost with a dropped message must not hold reads up to their timeout).
  std::vector<Done> held_reads_;
  Time held_since_{};
  std::optional<uint64_t> confirming_;
  Time confirming_until_{};
  std::optional<Transfer> transfer_;
  raft::ConfState conf_state_;
  raft::Index snapshot_index_ = 0;
  raft::Index applied_ = 0;
  raft::Index config_changed_at_ = 0;  // The last membership change applied.
  // Leader only: when each follower was last seen recently active (reconfig_checks.h).
  std::map<raft::NodeId, Time> last_active_;
  bool removed_ = false;  // This member's removal was applied.
  raft::NodeId leader_ = raft::kNone;
  bool published_ = false;
  Time next_publish_{};
  Time next_space_alarm_{};  // When the NOSPACE alarm may be proposed again.
  Time now_{};               // As last told.
  uint64_t last_id_ = 0;

  // Handed out by the Raft core, oldest first, not yet finished.
  std::deque<Round> rounds_;
  uint64_t round_ = 0;
  std::optional<uint64_t> syncing_;  // The sync the host is running: covers the rounds written.
  // An image taken while a sync was outstanding: committed (a write) once the sync is done.
  std::optional<std::pair<raft::Index, uint64_t>> image_to_commit_;
  // The image asked for and not yet taken: the index the store was at, the snapshot it makes.
  std::vector<Done> defrag_waiters_;  // defragment() calls not yet answered.
  raft::Index defrag_index_ = 0;      // The applied index the newest of them needs covered.
  std::optional<NodeActions::Image> image_wanted_;
  // One given up (a leader's snapshot replaced the state) that the host has not reported done.
  std::optional<NodeActions::Image> image_abandoned_;
  // Non-zero while this member lost entries and has not applied up to here.
  raft::Index read_barrier_ = 0;
  // Recovery cut a torn tail: the entries cut may have been synced and acknowledged (a zeroed
  // sector at the true tail reads like a torn write), which only a leader's commit can show.
  // Reads wait for the first word from a leader.
  bool awaiting_leader_after_torn_tail_ = false;
  bool stopped_ = false;        // stop() or fatal(): no event is taken any more.
  bool answered_stop_ = false;  // stop() answered every waiting client.
  NodeActions actions_;
};

}  // namespace regent::server
