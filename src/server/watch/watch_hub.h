// The watch hub: every client watch stream of this member and its watchers, fed from the store
// as the Raft loop applies entries (etcd's watchableStore and serverWatchStream, without gRPC:
// a stream is reached through a WatchSink, so tests drive the hub by hand).
//
// Dispatch. After each batch of applied entries (on_applied, on the loop thread) the hub's
// dispatcher thread is told the new revision, so the loop goes on to answer the writes (and
// apply the next ones) while the watchers are served. The dispatcher reads the changes since
// the last dispatch from the store once (several applied batches at once when it fell behind:
// each watcher then gets them in one response), and queues for each synced watcher the ones it
// matches. The synced watchers are registered in a kv::WatcherGroup (kv/watcher_group.h), which
// finds the watchers of each change by a key lookup and an interval-tree stab, so a dispatch
// visits only the watchers its changes concern. Watchers that match the same events with the
// same filters share one conversion, batching and serialization of them per dispatch: each
// watcher's response is that shared body followed by its own watch_id field (WireResponse), so
// a put's cost grows with its watchers by a reference each, not a copy. A watcher whose
// stream's queue would grow past max_pending_bytes is not queued anything: it becomes unsynced,
// keeping its position, and the syncer thread later catches it up from the store's history, a
// bounded read at a time, while its stream's queue is below half the limit; if compaction
// overtook it, it is cancelled with compact_revision set. So neither many watchers nor a slow
// client cost the loop anything but a wake-up.
//
// Invariants (under mu_):
//  1. A watcher has been queued, in revision order and exactly once, every change it matches
//     (after its filters) at revisions below its position, and nothing at or after it. An
//     unsynced watcher's position is its `next`; a synced one's is max(next, dispatched_ + 1)
//     (position()), because a dispatch moves the `next` of the watchers it visits only: the
//     others' is brought up to date when they leave the synced set.
//  2. A synced watcher is in synced_group_ (under its group_id, found through synced_refs_), and
//     no other watcher is; the next dispatch covers it. Unsynced watchers are the syncer's; a
//     syncer result applies only if the watcher's `next` did not move since the read began.
//  3. A stream has at most one write in flight, and its responses leave in the order queued;
//     its queued bytes stay within max_pending_bytes, plus control responses (created,
//     canceled, progress), which are small and stop being read once the limit is passed.
//     Consecutive event responses of one watcher that wait while a write is in flight leave as
//     one, within the batch limits (whole revisions, max_revisions, max_bytes): a client that
//     reads slower than puts come gets fewer, fuller responses instead of a growing queue.
//  4. No lock (the hub's or the store's) is held while a WatchSink is called; a stream is
//     finished only when no write is in flight, and never called again after that.
//
// Memory. A closed stream's state is erased with it (only that stream is looked at). Once
// streams have closed and none for a second, the syncer hands the allocator's free memory back
// to the system (glibc keeps freed memory in its arenas otherwise, so the resident size of a
// member that once held many streams would stay at its peak).
//
// hasleader: a stream whose call carries it is refused when the member knows no leader, and
// finished with Unavailable "etcdserver: no leader" once the member has been without one for
// no_leader_timeout (etcd waits three election timeouts before cancelling open streams).
#pragma once

#include <grpcpp/support/status.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "etcdserverpb/rpc.pb.h"
#include "kv/watcher_group.h"
#include "server/host/raft_node.h"
#include "server/node/failure.h"
#include "server/node/state_machine.h"
#include "server/watch/watch_batch.h"

namespace regent::server {

struct WatchOptions {
  // Bytes of responses one stream may have waiting for its client before its watchers fall
  // back to catching up from history.
  size_t max_pending_bytes = 4 * 1024 * 1024;
  BatchLimits batch;  // Response size and fragment limits (watch_batch.h).
  // One history read of an unsynced watcher, in events and in bytes of keys and values: it
  // holds the store's read lock, which applies wait for.
  size_t catch_up_events = 1000;
  size_t catch_up_bytes = 4 * 1024 * 1024;
  // A dispatch spanning more revisions than this (a snapshot installed, a long catch-up) is not
  // read on the loop: every synced watcher is caught up by the syncer instead.
  int64_t max_dispatch_revisions = 10000;
  std::chrono::milliseconds progress_interval{10 * 60 * 1000};  // etcd's default, 10 minutes.
  std::chrono::milliseconds no_leader_timeout{3000};            // 3 x --election-timeout.
  std::chrono::milliseconds sync_interval{100};  // The syncer's pace when nothing wakes it.
};

// One WatchResponse as it goes on the wire: serialized parts whose concatenation is the response.
// Protobuf reads a message's fields in order and merges repeats (a repeated field's elements are
// appended, a sub-message's set fields overwrite, a scalar's last value wins), so a body shared by
// many watchers followed by one watcher's watch_id field is that watcher's response, and two
// responses of one watcher in a row read as one holding the events of both under the later
// header.
using WireBytes = std::shared_ptr<const std::string>;
using WireResponse = std::vector<WireBytes>;

WireBytes wire_bytes(const google::protobuf::MessageLite& message);

// One client stream's writer. Called without hub locks held, never concurrently for one stream.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  // Sends one response; the hub sends the next only after on_written() for this one.
  virtual void write(WireResponse response) = 0;
  // Reads the next request: the hub paused reading while the stream's queue was full.
  virtual void read_more() = 0;
  // Ends the call. No write is in flight, and the sink is not called again.
  virtual void finish(const grpc::Status& status) = 0;
};

class WatchHub final : public NodeObserver {
 public:
  // Fills a response header (cluster, member, term) with the given revision.
  using FillHeader = std::function<void(etcdserverpb::ResponseHeader*, int64_t revision)>;

  WatchHub(const StateMachine& machine, FillHeader fill, WatchOptions options, Logger& logger);
  ~WatchHub() override;

  // Starts the syncer and dispatcher threads (tests call sync_once() instead, and until this is
  // called on_applied dispatches on the calling thread).
  void start();
  // Finishes every stream with `why`, refuses new ones, stops the threads. Idempotent.
  void stop(const Failure& why);

  // A new client stream; refused with "no leader" if it requires one and none is known.
  Expected<uint64_t, Failure> open(std::shared_ptr<WatchSink> sink, bool require_leader);
  // A request from the stream's client. Returns whether to read the next one now; if not, the
  // hub calls read_more() once the stream's queue has drained. `create_refusal`, for a create
  // request its caller may not make (auth): the watcher is refused as etcd refuses it, created
  // and cancelled at once with that reason.
  bool handle(uint64_t stream, const etcdserverpb::WatchRequest& request,
              std::string_view create_refusal = {});
  // The write in flight completed (ok: sent; otherwise the stream is broken and is finished).
  void on_written(uint64_t stream, bool ok);
  // The client went away: finish the stream once no write is in flight.
  void cancel_stream(uint64_t stream);

  // One round of catching up unsynced watchers from the store's history. Returns whether more
  // work is ready at once.
  bool sync_once();

  // NodeObserver; loop thread. on_applied hands the revision to the dispatcher once started.
  void on_tick(std::chrono::steady_clock::time_point now) override;
  void on_applied(raft::Index applied, int64_t revision) override;
  void on_leader(raft::NodeId leader, bool is_self, raft::Term term) override;

  struct Stats {
    size_t streams = 0;
    size_t watchers = 0;
    size_t unsynced = 0;
    int64_t dispatched = 0;
  };
  Stats stats() const;

 private:
  struct Watcher {
    int64_t id = 0;
    std::string key;
    std::string range_end;  // kv's form: "" one key, "\0" every key from `key`, else the end.
    WatchFilter filter;
    bool progress_notify = false;
    bool fragment = false;
    int64_t next = 0;       // Invariant 1.
    bool synced = false;    // Invariant 2.
    bool quiet = true;      // No events queued since the last progress tick.
    WireBytes id_field;     // Its watch_id, serialized (empty for 0, proto3's default).
    uint64_t group_id = 0;  // Its id in synced_group_, unique in the hub.
  };
  // A queued response; `revisions` > 0: events of that many whole revisions, which the next
  // such response of the same watcher may join (invariant 3); 0: it leaves alone.
  struct Queued {
    WireResponse parts;
    size_t bytes = 0;
    int revisions = 0;
    int64_t watch_id = 0;
  };
  struct Stream {
    uint64_t id = 0;
    std::shared_ptr<WatchSink> sink;
    bool require_leader = false;
    std::map<int64_t, Watcher> watchers;
    int64_t next_watch_id = 0;
    std::deque<Queued> queue;
    size_t queued_bytes = 0;
    size_t unsynced = 0;  // Its unsynced watchers.
    bool writing = false;
    bool read_paused = false;
    bool progress_requested = false;  // A WatchProgressRequest waits for every watcher to sync.
    bool behind = false;              // Fell behind its client's reading (logged once).
    std::optional<grpc::Status> finish;
  };
  // Sink calls collected under mu_ and made after it is released (invariant 4).
  struct Actions {
    std::vector<std::pair<std::shared_ptr<WatchSink>, WireResponse>> writes;
    std::vector<std::shared_ptr<WatchSink>> reads;
    std::vector<std::pair<std::shared_ptr<WatchSink>, grpc::Status>> finishes;
    void run();
  };
  // One unsynced watcher's history read, made outside mu_.
  struct CatchUp {
    uint64_t stream = 0;
    int64_t watch_id = 0;
    std::string key;
    std::string range_end;
    bool prev_kv = false;
    int64_t next = 0;
    // The read's outcome.
    Expected<std::vector<kv::Event>, kv::Error> events = std::vector<kv::Event>();
    int64_t read_revision = 0;
    int64_t compact_revision = 0;
  };

  void create(Stream& s, const etcdserverpb::WatchCreateRequest& r);
  void refuse_create(Stream& s, std::string_view reason);
  void cancel(Stream& s, int64_t watch_id);
  void request_progress(Stream& s);
  // A watcher's events as serialized responses with watch_id 0 (batch_events), each with its
  // revision count; one per dispatch is shared by every watcher with the same events and filters.
  struct BatchGroup {
    int64_t first_revision = 0;
    size_t bytes = 0;  // batch_events' estimate, for the queue's limit.
    std::vector<std::pair<WireBytes, int>> responses;
  };
  using Batch = std::vector<BatchGroup>;
  Batch batch(const Watcher& w, const std::vector<const kv::Event*>& events,
              int64_t complete_to) const;
  // Queues a copy of `b` for synced watcher `w`; false (and nothing queued from the first group
  // that does not fit on) if the stream's queue is full.
  bool queue_events(Stream& s, Watcher& w, const Batch& b);
  void queue(Stream& s, const etcdserverpb::WatchResponse& r);
  void queue_compacted(Stream& s, Watcher& w, int64_t compact_revision);
  void apply_catch_up(CatchUp& job);
  // A watcher enters and leaves the synced set (and synced_group_) only through these.
  void add_synced(Stream& s, Watcher& w);
  void remove_synced(Watcher& w);
  void mark_synced(Stream& s, Watcher& w);
  void mark_unsynced(Stream& s, Watcher& w, bool slow_client = true);
  int64_t position(const Watcher& w) const;  // Invariant 1.
  void answer_progress_if_synced(Stream& s);
  void remove_watcher(Stream& s, std::map<int64_t, Watcher>::iterator it);
  // Serves synced watchers every change up to `revision` (on the dispatcher, or the caller).
  void dispatch_to(int64_t revision);
  void dispatch(const std::vector<kv::Event>& events, int64_t revision);
  // The synced watchers `events` concern, each with its events, in the order the streams' queues
  // take them (stream, then watch id).
  struct Due {
    Stream* stream = nullptr;
    Watcher* watcher = nullptr;
    size_t match = 0;  // Its kv::WatcherGroup::RangeMatch.
  };
  std::vector<Due> due(const std::vector<kv::WatcherGroup::RangeMatch>& matches) const;
  void run_dispatcher();
  void cancel_compacted(int64_t from, int64_t compact_revision);
  // Starts the stream's next write, finishes it, or resumes its reading, as due.
  void pump(Stream& s, Actions& actions);
  void pump_all(Actions& actions);
  etcdserverpb::WatchResponse response(int64_t watch_id, int64_t revision) const;
  void erase_done_streams();
  // Erases the stream if it is finished; returns the next one.
  std::map<uint64_t, Stream>::iterator erase_if_done(std::map<uint64_t, Stream>::iterator it);
  // Hands free memory back to the system once streams closed and none for a while (syncer).
  void trim_if_due();
  void wake_syncer();
  void run_syncer();

  const StateMachine& machine_;
  const FillHeader fill_;
  const WatchOptions options_;
  Logger& logger_;

  mutable std::mutex mu_;
  std::map<uint64_t, Stream> streams_;
  uint64_t next_stream_id_ = 0;
  int64_t dispatched_ = 0;  // Changes up to here were handed to synced watchers.
  // The synced watchers, over every stream (invariant 2): by key and range in the group, and
  // from a group id to the watcher (streams' and watchers' map nodes never move).
  struct WatcherRef {
    Stream* stream = nullptr;
    Watcher* watcher = nullptr;
  };
  kv::WatcherGroup synced_group_;
  std::unordered_map<uint64_t, WatcherRef> synced_refs_;
  uint64_t next_group_id_ = 0;
  size_t unsynced_ = 0;
  bool stopped_ = false;
  bool has_leader_ = false;
  std::optional<std::chrono::steady_clock::time_point> leaderless_since_;
  std::optional<std::chrono::steady_clock::time_point> next_progress_;
  size_t closed_since_trim_ = 0;  // Streams erased since the last trim.
  std::chrono::steady_clock::time_point last_close_;

  std::mutex sync_mu_;
  std::condition_variable sync_wake_;
  bool sync_wanted_ = false;
  bool sync_stop_ = false;
  std::thread syncer_;

  // The dispatcher's inbox: the newest applied revision, and whether it has not been taken.
  std::mutex dispatch_mu_;
  std::condition_variable dispatch_wake_;
  int64_t dispatch_target_ = 0;
  bool dispatch_pending_ = false;
  bool dispatch_stop_ = false;
  std::atomic<bool> threaded_{false};  // The dispatcher runs: on_applied only posts.
  std::thread dispatcher_;
};

}  // namespace regent::server
