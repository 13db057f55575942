// The Raft loop of a member: the one thread that owns the consensus core, the durable log and
// the right to change the state machine.
//
// Each round it takes everything that arrived since the last one (peer messages, client writes,
// linearizable reads, leadership transfers), feeds it to the core (writes arriving together
// become one proposal batch: one append, one fsync), then handles the core's Ready:
//   1. sends the messages that need nothing durable (the leader's appends go out while it
//      writes, Raft thesis §10.2.1);
//   2. persists entries, hard state and any snapshot (one write and one fdatasync);
//   3. installs a received snapshot into the state machine;
//   4. sends the messages that promise durability (votes, append acknowledgements);
//   5. applies committed entries, answering the clients of this member that wait for them;
//   6. answers reads whose read index is applied.
//
// Invariants:
//  - No message that depends on this member's writes leaves before those writes are durable.
//  - A client is answered only for an entry this member applied, with what applying it gave.
//  - Every waiting client is answered exactly once: by its entry, its read, an error, a timeout,
//    or "server stopped" when the loop ends.
//  - A failed write or sync of the log stops the member (storage/ explains why it cannot retry).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "raft/raw_node.h"
#include "regentpb/request.pb.h"
#include "server/failure.h"
#include "server/responder.h"
#include "server/state_machine.h"
#include "storage/disk_storage.h"
#include "transport/transport.h"

namespace regent::server {

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
};

// What Maintenance.Status and response headers show; a copy taken after a round.
struct NodeStatus {
  raft::NodeId id = raft::kNone;
  raft::NodeId leader = raft::kNone;
  raft::Term term = 0;
  raft::Index last_index = 0;
  raft::Index commit = 0;
  raft::Index applied = 0;
  bool is_leader = false;
  std::vector<std::string> errors;
};

// Code that must follow the loop's state (the watch hub, the lessor), called on the loop thread
// between rounds: it must not block, and may call propose() / read_index() (they only enqueue).
class NodeObserver {
 public:
  virtual ~NodeObserver() = default;
  // Once per tick of the loop's clock (--heartbeat-interval).
  virtual void on_tick(std::chrono::steady_clock::time_point /*now*/) {}
  // After committed entries were applied (or a snapshot installed); `revision` is the store's.
  virtual void on_applied(raft::Index /*applied*/, int64_t /*revision*/) {}
  // The leader this member knows changed; kNone: none known. `is_self`: this member leads.
  virtual void on_leader(raft::NodeId /*leader*/, bool /*is_self*/, raft::Term /*term*/) {}
};

class RaftNode final : public transport::Handler {
 public:
  using WriteDone = std::function<void(Expected<WriteResponse, Failure>)>;
  using Done = std::function<void(Expected<void, Failure>)>;

  RaftNode(const NodeOptions& options, storage::DiskStorage& storage, StateMachine& machine,
           Logger& logger);
  ~RaftNode() override;

  // Restores the state machine from the storage's snapshot and starts the loop. The transport
  // must be set first; it is used only by the loop thread.
  Expected<void, std::string> start(transport::Transport& transport);
  // Answers everything waiting with "server stopped" and joins the loop. Idempotent.
  void stop();

  // Client entry points; thread-safe; `done` runs on the loop thread and must not block.
  void propose(regentpb::InternalRequest request, WriteDone done);
  // Completes once this member has applied everything committed when the read was asked.
  void read_index(Done done);
  // target kNone: the most up-to-date follower. Completes when the target leads.
  void transfer_leadership(raft::NodeId target, Done done);

  // Before start(); observers are called in the order added.
  void add_observer(NodeObserver& observer) { observers_.push_back(&observer); }

  NodeStatus status() const;
  raft::Term term() const { return term_.load(std::memory_order_relaxed); }
  // Set while this member must serve no reads (see failure.h, catching_up); cheap to ask.
  std::optional<Failure> read_refusal() const;
  // True once the loop stopped because the disk failed.
  bool failed() const { return failed_.load(); }

  // transport::Handler.
  void on_messages(std::vector<raft::Message> messages) override;
  void on_unreachable(raft::NodeId peer) override;
  void on_peer_down(raft::NodeId peer) override;
  void on_snapshot_sent(raft::NodeId peer, bool ok) override;

 private:
  using Clock = std::chrono::steady_clock;

  // Adds to the inbox under mu_ (add gets it), then wakes the loop.
  template <class Add>
  void post(Add&& add) {
    {
      std::lock_guard lock(mu_);
      add(inbox_);
    }
    wake_.notify_one();
  }

  struct Proposal {
    regentpb::InternalRequest request;
    WriteDone done;
  };
  struct Transfer {
    raft::NodeId target = raft::kNone;
    Done done;
    Clock::time_point deadline;
  };
  // What arrived since the last round.
  struct Inbox {
    std::vector<raft::Message> messages;
    std::vector<raft::NodeId> unreachable;
    std::vector<raft::NodeId> down;
    std::vector<std::pair<raft::NodeId, bool>> snapshot_reports;
    std::vector<Proposal> proposals;
    std::vector<Done> reads;
    std::vector<Transfer> transfers;
    bool empty() const {
      return messages.empty() && unreachable.empty() && down.empty() && snapshot_reports.empty() &&
             proposals.empty() && reads.empty() && transfers.empty();
    }
  };
  struct Waiter {
    WriteDone done;
    Clock::time_point deadline;
  };
  struct ReadBatch {
    std::vector<Done> done;
    Clock::time_point deadline;
    raft::Index index = 0;  // Set once the read index is known.
  };

  void run();
  void round(Inbox& in, Clock::time_point now);
  void handle_proposals(std::vector<Proposal>& proposals, Clock::time_point now);
  void handle_reads(std::vector<Done>& reads, Clock::time_point now);
  void handle_transfer(Transfer t);
  bool handle_ready();  // false: the disk failed and the loop must stop.
  // Applies the Ready's committed entries, notes its read states, answers what became ready.
  void apply_ready(const raft::Ready& rd);
  void apply(const std::vector<raft::Entry>& entries);
  void answer_reads();
  void maybe_snapshot();
  void maybe_publish(Clock::time_point now);
  void on_leader_change(raft::NodeId old_leader, raft::NodeId new_leader);
  void expire(Clock::time_point now);
  void check_transfer(Clock::time_point now);
  void fail_all(const Failure& f);
  void refresh_status();
  raft::NodeId best_transferee() const;
  uint64_t next_id() { return ++last_id_; }

  NodeOptions options_;
  storage::DiskStorage& storage_;
  StateMachine& machine_;
  Logger& logger_;
  transport::Transport* transport_ = nullptr;
  std::unique_ptr<raft::RawNode> raw_;
  std::vector<NodeObserver*> observers_;

  // Loop-thread state.
  std::map<uint64_t, Waiter> waiters_;   // By request id; ids grow with time, so by deadline.
  std::map<uint64_t, ReadBatch> reads_;  // By read context.
  std::optional<Transfer> transfer_;
  raft::ConfState conf_state_;
  raft::Index snapshot_index_ = 0;
  raft::Index applied_ = 0;
  raft::NodeId leader_ = raft::kNone;
  bool published_ = false;
  Clock::time_point next_publish_{};
  uint64_t last_id_ = 0;

  mutable std::mutex mu_;  // Guards inbox_, stopping_, status_.
  std::condition_variable wake_;
  Inbox inbox_;
  bool stopping_ = false;
  NodeStatus status_;

  std::atomic<size_t> pending_{0};  // Client requests queued or waiting for an answer.
  std::atomic<raft::Term> term_{0};
  // Loop thread: non-zero while this member lost entries and has not applied up to here.
  raft::Index read_barrier_ = 0;
  std::atomic<raft::Index> catching_up_to_{0};  // Copies of the status, for read_refusal().
  std::atomic<raft::Index> last_index_{0};
  // Recovery cut a torn tail: the entries cut may have been synced and acknowledged (a zeroed
  // sector at the true tail reads like a torn write), which only a leader's commit can show.
  // Reads wait for the first word from a leader. Loop thread writes, any thread reads.
  std::atomic<bool> awaiting_leader_after_torn_tail_{false};
  std::atomic<bool> failed_{false};
  std::thread loop_;
  // Answers of the round being applied (loop thread), then run by responder_.
  std::vector<Responder::Answer> answers_;
  Responder responder_;
};

}  // namespace regent::server
