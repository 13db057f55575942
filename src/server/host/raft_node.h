// The threads that run a member's node core (server/node/node_core.h, where the orderings and
// invariants of persisting, sending, applying and answering are written).
//
// One loop thread owns the core: each round it takes everything that arrived since the last one
// (peer messages, client writes, linearizable reads, leadership transfers, the transport's
// reports) and feeds it to the core together, so that writes arriving together become one
// proposal batch (one append). It then does what the core asks: sends messages, hands the log's
// sync to the storage stage (host/sync_stage.h: the fdatasync on a thread of its own, reported
// back through the inbox, while the loop goes on with the next rounds), begins snapshot images,
// and hands the answers to the responder thread, which runs them off the loop. An image thread
// writes each snapshot (the state machine's image in bounded chunks, node/image_job.h, then the
// snapshot file) while the loop goes on; the loop then commits it to the log.
//
// Invariants:
//  - Only the loop thread touches the core, the storage and the state machine's writes; the
//    storage stage only runs DiskStorage::sync_log_file (while the core writes nothing), the
//    image thread only an ImageJob and DiskStorage::write_snapshot_file, the cleanup thread
//    only DiskStorage::remove_files and malloc_trim (all made for that).
//  - Every waiting client is answered exactly once: by the core, or with "server stopped" (or
//    the disk failure) when the loop ends.
//  - A failed write or sync of the log stops the member (storage/ explains why it cannot retry).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "regentpb/request.pb.h"
#include "server/host/latency_histogram.h"
#include "server/host/responder.h"
#include "server/host/sync_stage.h"
#include "server/node/failure.h"
#include "server/node/node_core.h"
#include "server/node/state_machine.h"
#include "storage/disk_storage.h"
#include "transport/transport.h"

namespace regent::server {

class RaftNode final : public transport::Handler {
 public:
  using WriteDone = server::WriteDone;
  using Done = server::Done;

  RaftNode(const NodeOptions& options, storage::DiskStorage& storage, StateMachine& machine,
           Logger& logger);
  ~RaftNode() override;

  // Restores the state machine from the storage's snapshot and starts the loop. The transport
  // must be set first; it is used only by the loop thread.
  Expected<void, std::string> start(transport::Transport& transport);
  // Answers everything waiting with "server stopped" and joins the loop. Idempotent.
  void stop();

  // Client entry points; thread-safe; `done` runs on the responder thread and must not block.
  void propose(regentpb::InternalRequest request, WriteDone done);
  // Completes once this member has applied everything committed when the read was asked.
  void read_index(Done done);
  // target kNone: the most up-to-date follower. Completes when the target leads.
  void transfer_leadership(raft::NodeId target, Done done);
  // NodeCore::defragment.
  void defragment(Done done);
  // A Cluster API membership change (NodeCore::propose_member_change); answered once applied,
  // or with "not leader" on a follower (the caller forwards it to the leader).
  void propose_member_change(regentpb::MemberChange change, WriteDone done);
  // The state machine's image as it stands between two applies, for a backup: `handed` gets the
  // job on the loop thread and must only take it (run it on a thread of its own) or drop it.
  using BackupHandler = std::function<void(Expected<ImageJob, Failure>)>;
  void begin_backup(BackupHandler handed);

  // Before start(); observers are called on the loop thread, in the order added.
  void add_observer(NodeObserver& observer) { core_.add_observer(observer); }

  NodeStatus status() const;
  raft::Term term() const { return term_.load(std::memory_order_relaxed); }
  // Set while this member must serve no reads (see failure.h, catching_up); cheap to ask.
  std::optional<Failure> read_refusal() const;
  // True once the loop stopped because the disk failed.
  bool failed() const { return failed_.load(); }

  // What /metrics reports (etcd's meanings); any thread.
  // Client requests queued or waiting for an answer (etcd_server_proposals_pending).
  size_t pending() const { return pending_.load(std::memory_order_relaxed); }
  // Proposals answered with an error (etcd_server_proposals_failed_total).
  uint64_t proposals_failed() const { return proposals_failed_.load(std::memory_order_relaxed); }
  // Times this member saw a new leader (etcd_server_leader_changes_seen_total).
  uint64_t leader_changes() const { return leader_changes_.load(std::memory_order_relaxed); }
  // Each fdatasync of the log (etcd_disk_wal_fsync_duration_seconds).
  const LatencyHistogram& wal_fsync_seconds() const { return wal_fsync_; }

  // transport::Handler.
  void on_messages(std::vector<raft::Message> messages) override;
  void on_unreachable(raft::NodeId peer) override;
  void on_peer_down(raft::NodeId peer) override;
  void on_snapshot_sent(raft::NodeId peer, bool ok) override;

 private:
  // Adds to the inbox under mu_ (add gets it), then wakes the loop.
  template <class Add>
  void post(Add&& add) {
    {
      std::lock_guard lock(mu_);
      add(inbox_);
    }
    wake_.notify_one();
  }

  struct Transfer {
    raft::NodeId target = raft::kNone;
    Done done;
  };
  // What arrived since the last round.
  struct Inbox {
    std::vector<raft::Message> messages;
    std::vector<raft::NodeId> unreachable;
    std::vector<raft::NodeId> down;
    std::vector<std::pair<raft::NodeId, bool>> snapshot_reports;
    std::vector<std::pair<regentpb::InternalRequest, WriteDone>> proposals;
    std::vector<Done> reads;
    std::vector<Transfer> transfers;
    std::vector<Done> defragments;
    // The core's answers to them, held back until the loop has removed what the snapshot made
    // obsolete, so that the caller sees the space come back.
    std::vector<std::pair<Done, Expected<void, Failure>>> defragmented;
    std::vector<std::pair<regentpb::MemberChange, WriteDone>> member_changes;
    std::vector<BackupHandler> backups;
    // From the image thread: the size of the image written at an index, or why there is none.
    std::vector<std::pair<raft::Index, Expected<uint64_t, std::string>>> images;
    // From the storage stage: the round whose fdatasync is done, and how it went.
    std::vector<std::pair<uint64_t, storage::IoStatus>> synced;
    bool empty() const {
      return messages.empty() && unreachable.empty() && down.empty() && snapshot_reports.empty() &&
             proposals.empty() && reads.empty() && transfers.empty() && defragments.empty() &&
             defragmented.empty() && backups.empty() && member_changes.empty() && images.empty() &&
             synced.empty();
    }
  };

  void run();
  // False: the disk failed.
  bool feed(Inbox& in, Time now);
  // Does what the core asks until it asks nothing more; false: the disk failed.
  bool perform();
  void publish_status();
  // Begins the image the core asked for and writes it on the image thread.
  void start_image(const NodeActions::Image& image);
  // Off the loop: removes the files the snapshot made unneeded and returns freed memory.
  void clean_up_after_snapshot();
  // `done` wrapped so that answering it releases its place among the pending requests.
  template <class D>
  D counted(D done) {
    return [this, done = std::move(done)](auto result) {
      pending_.fetch_sub(1, std::memory_order_relaxed);
      done(std::move(result));
    };
  }

  storage::DiskStorage& storage_;
  StateMachine& machine_;
  Logger& logger_;
  const size_t max_pending_;
  const std::chrono::milliseconds tick_;
  transport::Transport* transport_ = nullptr;
  NodeCore core_;  // Loop thread only, once started.

  mutable std::mutex mu_;  // Guards inbox_, stopping_, status_, refusal_.
  std::condition_variable wake_;
  Inbox inbox_;
  bool stopping_ = false;
  NodeStatus status_;
  std::optional<Failure> refusal_;

  std::atomic<size_t> pending_{0};  // Client requests queued or waiting for an answer.
  std::atomic<raft::Term> term_{0};
  std::atomic<bool> refusing_{false};  // refusal_ is set: the cheap check of read_refusal().
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> proposals_failed_{0};
  std::atomic<uint64_t> leader_changes_{0};
  raft::NodeId last_leader_ = raft::kNone;  // Loop thread only: the leader last published.
  size_t defragmenting_ = 0;       // Loop thread only: defragments given to the core, not answered.
  raft::Index cleaned_up_to_ = 0;  // Loop thread only: the snapshot last cleaned up after.
  LatencyHistogram wal_fsync_;
  std::thread loop_;
  std::thread image_thread_;    // At most one image at a time (the core asks for one at a time).
  std::thread cleanup_thread_;  // What a committed snapshot left to do (clean_up_after_snapshot()).
  Responder responder_;
  SyncStage sync_stage_;  // Last: its thread starts at construction and posts to the inbox.
};

}  // namespace regent::server
