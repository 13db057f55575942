#include "server/watch/watch_hub.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <string_view>
#include <tuple>

#include "common/assert.h"
#include "kv/key_range.h"
#include "server/grpc_status.h"

namespace regent::server {

namespace {

// etcd's AutoWatchID: a create request without a watch id of its own.
constexpr int64_t kAutoWatchId = 0;
// etcd's answer to a progress request: not about one watcher, about the whole stream.
constexpr int64_t kStreamWide = -1;
// mvcc's errors as etcd's watch creation reports them (cancel_reason).
constexpr std::string_view kEmptyRange = "mvcc: watcher range is empty";
constexpr std::string_view kDuplicateId = "mvcc: duplicate watch ID provided on the WatchStream";
constexpr std::string_view kCompactedReason =
    "etcdserver: mvcc: required revision has been compacted";

const std::string kZero(1, '\0');

// Streams closed, then none for this long: the syncer trims the heap.
constexpr auto kTrimAfterQuiet = std::chrono::seconds(1);

int distinct_revisions(const etcdserverpb::WatchResponse& r) {
  int n = 0;
  int64_t last = -1;
  for (const mvccpb::Event& e : r.events()) {
    if (e.kv().mod_revision() != last) ++n;
    last = e.kv().mod_revision();
  }
  return n;
}

}  // namespace

WireBytes wire_bytes(const google::protobuf::MessageLite& message) {
  return std::make_shared<const std::string>(message.SerializeAsString());
}

void WatchHub::Actions::run() {
  for (auto& [sink, response] : writes) sink->write(std::move(response));
  for (auto& sink : reads) sink->read_more();
  for (auto& [sink, status] : finishes) sink->finish(status);
}

WatchHub::WatchHub(const StateMachine& machine, FillHeader fill, WatchOptions options,
                   Logger& logger)
    : machine_(machine), fill_(std::move(fill)), options_(options), logger_(logger) {}

WatchHub::~WatchHub() { stop(stopped()); }

void WatchHub::start() {
  REGENT_ASSERT(!syncer_.joinable(), "watch hub started twice");
  syncer_ = std::thread([this] { run_syncer(); });
  dispatcher_ = std::thread([this] { run_dispatcher(); });
  threaded_.store(true, std::memory_order_release);
}

void WatchHub::stop(const Failure& why) {
  Actions actions;
  {
    std::lock_guard lock(mu_);
    if (!stopped_) {
      stopped_ = true;
      for (auto& [id, s] : streams_) {
        if (!s.finish) s.finish = to_grpc(why);
      }
      pump_all(actions);
    }
  }
  actions.run();
  {
    std::lock_guard lock(sync_mu_);
    sync_stop_ = true;
  }
  sync_wake_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  {
    std::lock_guard lock(dispatch_mu_);
    dispatch_stop_ = true;
  }
  dispatch_wake_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
}

// --- Streams and requests -------------------------------------------------------------------

Expected<uint64_t, Failure> WatchHub::open(std::shared_ptr<WatchSink> sink, bool require_leader) {
  std::lock_guard lock(mu_);
  if (stopped_) return unexpected(stopped());
  if (require_leader && !has_leader_) return unexpected(no_leader());
  const uint64_t id = ++next_stream_id_;
  Stream& s = streams_[id];
  s.id = id;
  s.sink = std::move(sink);
  s.require_leader = require_leader;
  return id;
}

bool WatchHub::handle(uint64_t stream, const etcdserverpb::WatchRequest& request,
                      std::string_view create_refusal) {
  Actions actions;
  bool read_on = false;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(stream);
    if (it == streams_.end() || it->second.finish) return false;
    Stream& s = it->second;
    switch (request.request_union_case()) {
      case etcdserverpb::WatchRequest::kCreateRequest:
        if (create_refusal.empty()) {
          create(s, request.create_request());
        } else {
          refuse_create(s, create_refusal);
        }
        break;
      case etcdserverpb::WatchRequest::kCancelRequest:
        cancel(s, request.cancel_request().watch_id());
        break;
      case etcdserverpb::WatchRequest::kProgressRequest:
        request_progress(s);
        break;
      case etcdserverpb::WatchRequest::REQUEST_UNION_NOT_SET:
        break;  // etcd ignores it too.
    }
    // A client that does not read its responses stops being read (invariant 3).
    read_on = s.queued_bytes <= options_.max_pending_bytes;
    s.read_paused = !read_on;
    pump(s, actions);
  }
  actions.run();
  return read_on;
}

void WatchHub::on_written(uint64_t stream, bool ok) {
  Actions actions;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(stream);
    if (it == streams_.end()) return;
    Stream& s = it->second;
    s.writing = false;
    if (!ok && !s.finish)
      s.finish = grpc::Status(grpc::StatusCode::CANCELLED, "watch stream broken");
    pump(s, actions);
    erase_if_done(it);
  }
  actions.run();
}

void WatchHub::cancel_stream(uint64_t stream) {
  Actions actions;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(stream);
    if (it == streams_.end()) return;
    if (!it->second.finish) it->second.finish = grpc::Status::CANCELLED;
    pump(it->second, actions);
    erase_if_done(it);
  }
  actions.run();
}

void WatchHub::refuse_create(Stream& s, std::string_view reason) {
  etcdserverpb::WatchResponse out = response(-1, machine_.revision());
  out.set_created(true);
  out.set_canceled(true);
  out.set_cancel_reason(std::string(reason));
  queue(s, out);
}

void WatchHub::create(Stream& s, const etcdserverpb::WatchCreateRequest& r) {
  const int64_t revision = machine_.revision();
  // etcd: an empty key is "\0", the smallest key; range_end "\0" means every key from `key`.
  std::string key = r.key().empty() ? kZero : r.key();
  const std::string& end = r.range_end();
  auto refuse = [&](std::string_view reason) { refuse_create(s, reason); };
  if (!end.empty() && end != kZero && end <= key) return refuse(kEmptyRange);
  int64_t id = r.watch_id();
  if (id != kAutoWatchId) {
    if (s.watchers.contains(id)) return refuse(kDuplicateId);
  } else {
    while (s.watchers.contains(s.next_watch_id)) ++s.next_watch_id;
    id = s.next_watch_id++;
  }
  etcdserverpb::WatchResponse id_field;
  id_field.set_watch_id(id);
  Watcher w{.id = id,
            .key = std::move(key),
            .range_end = end,
            .id_field = wire_bytes(id_field),
            .group_id = ++next_group_id_};
  for (int f : r.filters()) {
    if (f == etcdserverpb::WatchCreateRequest::NOPUT) w.filter.no_put = true;
    if (f == etcdserverpb::WatchCreateRequest::NODELETE) w.filter.no_delete = true;
  }
  w.filter.prev_kv = r.prev_kv();
  w.progress_notify = r.progress_notify();
  w.fragment = r.fragment();
  // start_revision 0: from the next revision. A past one is read from the store's history.
  w.next = r.start_revision() == 0 ? revision + 1 : r.start_revision();
  // With no synced watcher nothing was owed to anyone: the dispatch mark may move up to the
  // store (after a restart the loop may not have dispatched yet).
  if (synced_group_.empty()) dispatched_ = std::max(dispatched_, revision);
  etcdserverpb::WatchResponse created = response(id, revision);
  created.set_created(true);
  queue(s, created);
  Watcher& placed = s.watchers.emplace(id, std::move(w)).first->second;
  if (placed.next > dispatched_) {
    add_synced(s, placed);
  } else {
    ++s.unsynced;
    ++unsynced_;
    wake_syncer();
  }
}

void WatchHub::cancel(Stream& s, int64_t watch_id) {
  auto it = s.watchers.find(watch_id);
  if (it == s.watchers.end()) return;  // etcd answers nothing for an unknown id.
  remove_watcher(s, it);
  etcdserverpb::WatchResponse out = response(watch_id, machine_.revision());
  out.set_canceled(true);
  queue(s, out);
  answer_progress_if_synced(s);
}

void WatchHub::request_progress(Stream& s) {
  s.progress_requested = true;
  answer_progress_if_synced(s);
}

// The answer promises every event up to its revision was sent, so it waits until no watcher of
// the stream is catching up (etcd 3.5's rule; 3.4 answered at once).
void WatchHub::answer_progress_if_synced(Stream& s) {
  if (!s.progress_requested || s.unsynced > 0) return;
  s.progress_requested = false;
  queue(s, response(kStreamWide, dispatched_));
}

void WatchHub::remove_watcher(Stream& s, std::map<int64_t, Watcher>::iterator it) {
  if (it->second.synced) {
    remove_synced(it->second);
  } else {
    --s.unsynced;
    --unsynced_;
  }
  s.watchers.erase(it);
}

void WatchHub::add_synced(Stream& s, Watcher& w) {
  w.synced = true;
  synced_group_.add(w.group_id, w.key, w.range_end);
  synced_refs_.emplace(w.group_id, WatcherRef{.stream = &s, .watcher = &w});
}

void WatchHub::remove_synced(Watcher& w) {
  w.next = position(w);  // Invariant 1: from here on `next` alone says it.
  w.synced = false;
  synced_group_.remove(w.group_id);
  synced_refs_.erase(w.group_id);
}

int64_t WatchHub::position(const Watcher& w) const {
  return w.synced ? std::max(w.next, dispatched_ + 1) : w.next;
}

void WatchHub::mark_synced(Stream& s, Watcher& w) {
  REGENT_ASSERT(!w.synced && w.next > dispatched_, "watcher {} cannot be synced", w.id);
  add_synced(s, w);
  --s.unsynced;
  --unsynced_;
  if (s.unsynced == 0 && s.behind) {
    s.behind = false;
    logger_.info("watch stream {}: caught up at revision {}", s.id, w.next - 1);
  }
}

void WatchHub::mark_unsynced(Stream& s, Watcher& w, bool slow_client) {
  REGENT_ASSERT(w.synced, "watcher {} is already unsynced", w.id);
  remove_synced(w);
  ++s.unsynced;
  ++unsynced_;
  if (slow_client && !s.behind) {
    s.behind = true;
    logger_.info(
        "watch stream {}: its client reads too slowly ({} bytes waiting); watcher {} falls back "
        "to the store's history from revision {}",
        s.id, s.queued_bytes, w.id, w.next);
  }
}

// --- Queueing and writing -------------------------------------------------------------------

etcdserverpb::WatchResponse WatchHub::response(int64_t watch_id, int64_t revision) const {
  etcdserverpb::WatchResponse r;
  fill_(r.mutable_header(), revision);
  r.set_watch_id(watch_id);
  return r;
}

void WatchHub::queue(Stream& s, const etcdserverpb::WatchResponse& r) {
  WireBytes bytes = wire_bytes(r);
  s.queued_bytes += bytes->size();
  s.queue.push_back(Queued{.parts = {bytes}, .bytes = bytes->size(), .watch_id = r.watch_id()});
}

WatchHub::Batch WatchHub::batch(const Watcher& w, const std::vector<const kv::Event*>& events,
                                int64_t complete_to) const {
  etcdserverpb::ResponseHeader header;
  fill_(&header, complete_to);
  BatchLimits limits = options_.batch;
  limits.fragment = w.fragment;
  Batch out;
  for (ResponseGroup& g : batch_events(0, events, w.filter, limits, header, complete_to)) {
    BatchGroup& bg =
        out.emplace_back(BatchGroup{.first_revision = g.first_revision, .bytes = g.bytes});
    // Fragments leave as they are; a whole response may take in its watcher's next ones.
    const bool whole = g.responses.size() == 1;
    for (const etcdserverpb::WatchResponse& r : g.responses) {
      bg.responses.emplace_back(wire_bytes(r), whole ? distinct_revisions(r) : 0);
    }
  }
  return out;
}

bool WatchHub::queue_events(Stream& s, Watcher& w, const Batch& b) {
  for (const BatchGroup& g : b) {
    if (s.queued_bytes + g.bytes > options_.max_pending_bytes) {
      w.next = g.first_revision;  // Everything before it is queued (invariant 1).
      return false;
    }
    for (const auto& [body, revisions] : g.responses) {
      Queued q{.parts = {body}, .bytes = body->size(), .revisions = revisions, .watch_id = w.id};
      if (!w.id_field->empty()) {
        q.parts.push_back(w.id_field);
        q.bytes += w.id_field->size();
      }
      s.queued_bytes += q.bytes;
      s.queue.push_back(std::move(q));
    }
    w.quiet = false;
  }
  return true;
}

void WatchHub::queue_compacted(Stream& s, Watcher& w, int64_t compact_revision) {
  etcdserverpb::WatchResponse out = response(w.id, machine_.revision());
  out.set_compact_revision(compact_revision);
  out.set_canceled(true);
  out.set_cancel_reason(std::string(kCompactedReason));
  queue(s, out);
  logger_.debug("watch stream {}: watcher {} at revision {} cancelled: compacted at {}", s.id, w.id,
                w.next, compact_revision);
}

void WatchHub::pump(Stream& s, Actions& actions) {
  if (!s.sink || s.writing) return;
  if (s.finish) {
    // Invariant 4: nothing is in flight, and the sink is never called again.
    actions.finishes.emplace_back(std::move(s.sink), *s.finish);
    s.sink = nullptr;
    return;
  }
  if (!s.queue.empty()) {
    Queued q = std::move(s.queue.front());
    s.queue.pop_front();
    s.queued_bytes -= q.bytes;
    // Invariant 3: the watcher's next event responses join this one, within the batch limits
    // (their parts in a row: the events add up, the later header and watch_id stand).
    while (q.revisions > 0 && !s.queue.empty()) {
      Queued& n = s.queue.front();
      if (n.revisions == 0 || n.watch_id != q.watch_id ||
          q.revisions + n.revisions > options_.batch.max_revisions ||
          q.bytes + n.bytes > options_.batch.max_bytes) {
        break;
      }
      q.parts.insert(q.parts.end(), n.parts.begin(), n.parts.end());
      q.revisions += n.revisions;
      q.bytes += n.bytes;
      s.queued_bytes -= n.bytes;
      s.queue.pop_front();
    }
    actions.writes.emplace_back(s.sink, std::move(q.parts));
    s.writing = true;
  }
  const size_t low_water = options_.max_pending_bytes / 2;
  if (s.read_paused && s.queued_bytes <= low_water) {
    s.read_paused = false;
    actions.reads.push_back(s.sink);
  }
  if (s.unsynced > 0 && s.queued_bytes < low_water) wake_syncer();
}

void WatchHub::pump_all(Actions& actions) {
  for (auto& [id, s] : streams_) pump(s, actions);
  erase_done_streams();
}

void WatchHub::erase_done_streams() {
  for (auto it = streams_.begin(); it != streams_.end();) it = erase_if_done(it);
}

std::map<uint64_t, WatchHub::Stream>::iterator WatchHub::erase_if_done(
    std::map<uint64_t, Stream>::iterator it) {
  if (it->second.sink) return std::next(it);
  for (auto w = it->second.watchers.begin(); w != it->second.watchers.end();) {
    auto next = std::next(w);
    remove_watcher(it->second, w);
    w = next;
  }
  ++closed_since_trim_;
  last_close_ = std::chrono::steady_clock::now();
  return streams_.erase(it);
}

void WatchHub::trim_if_due() {
  {
    std::lock_guard lock(mu_);
    if (closed_since_trim_ == 0 ||
        std::chrono::steady_clock::now() - last_close_ < kTrimAfterQuiet) {
      return;
    }
    closed_since_trim_ = 0;
  }
#if defined(__GLIBC__)
  malloc_trim(0);  // Every arena; outside the hub's lock, as it may take a few milliseconds.
#endif
}

// --- Dispatch (the dispatcher thread, or the loop before start()) --------------------------------

void WatchHub::on_applied(raft::Index /*applied*/, int64_t revision) {
  if (!threaded_.load(std::memory_order_acquire)) return dispatch_to(revision);
  {
    std::lock_guard lock(dispatch_mu_);
    dispatch_target_ = std::max(dispatch_target_, revision);
    dispatch_pending_ = true;
  }
  dispatch_wake_.notify_one();
}

void WatchHub::run_dispatcher() {
  std::unique_lock lock(dispatch_mu_);
  while (true) {
    dispatch_wake_.wait(lock, [this] { return dispatch_pending_ || dispatch_stop_; });
    if (dispatch_stop_) return;
    dispatch_pending_ = false;
    const int64_t revision = dispatch_target_;
    lock.unlock();
    dispatch_to(revision);
    lock.lock();
  }
}

void WatchHub::dispatch_to(int64_t revision) {
  Actions actions;
  {
    std::lock_guard lock(mu_);
    if (stopped_ || revision <= dispatched_) return;
    if (synced_group_.empty()) {
      dispatched_ = revision;
      return;
    }
    if (revision - dispatched_ > options_.max_dispatch_revisions) {
      logger_.info("watch: revisions {} to {} arrived at once; watchers catch up from history",
                   dispatched_ + 1, revision);
      for (auto& [id, s] : streams_) {
        for (auto& [watch_id, w] : s.watchers) {
          if (w.synced) mark_unsynced(s, w, false);
        }
      }
      dispatched_ = revision;
      wake_syncer();
      return;
    }
    struct Read {
      Expected<std::vector<kv::Event>, kv::Error> events;
      int64_t compacted = 0;
      int64_t revision = 0;
    };
    const int64_t from = dispatched_ + 1;
    // One read for every watcher, of the changes since the last dispatch (and any a restart
    // left): up to the store's revision, which the loop may have moved past `revision` (even
    // compacted past it) since it posted it.
    Read read = machine_.read([&](const kv::Store& store) {
      const int64_t compacted = store.compact_revision();
      const int64_t to = store.revision();
      return Read{
          store.events(kv::KeyRange::checked(kZero, kZero), std::max(from, compacted), to, 0, true),
          compacted, to};
    });
    REGENT_ASSERT(read.events.has_value(), "dispatch read failed: {}", read.events.error().message);
    // A compaction (or a snapshot) took revisions no watcher was sent yet.
    if (read.compacted > from) cancel_compacted(from, read.compacted);
    dispatch(*read.events, read.revision);
    dispatched_ = read.revision;
    pump_all(actions);
  }
  actions.run();
}

void WatchHub::cancel_compacted(int64_t from, int64_t compact_revision) {
  for (auto& [id, s] : streams_) {
    if (s.finish) continue;
    for (auto it = s.watchers.begin(); it != s.watchers.end();) {
      auto next = std::next(it);
      Watcher& w = it->second;
      if (w.synced && position(w) < compact_revision) {
        logger_.info(
            "watch stream {}: watcher {} missed revisions {} to {}, compacted before "
            "they were dispatched",
            s.id, w.id, std::max(from, position(w)), compact_revision - 1);
        queue_compacted(s, w, compact_revision);
        remove_watcher(s, it);
      }
      it = next;
    }
  }
}

void WatchHub::dispatch(const std::vector<kv::Event>& events, int64_t revision) {
  const std::vector<kv::WatcherGroup::RangeMatch> matches = synced_group_.match(events);
  // Watchers of one key or range with the same first event and filters share one batch, made
  // for the first of them.
  using Shape = std::tuple<size_t, size_t, unsigned>;  // (match, first event, filters)
  std::map<Shape, Batch> shared;
  for (const Due& d : due(matches)) {
    Stream& s = *d.stream;
    Watcher& w = *d.watcher;
    // Its events from its next revision on (they are in revision order).
    const std::vector<const kv::Event*>& in_range = matches[d.match].events;
    const auto first =
        std::partition_point(in_range.begin(), in_range.end(),
                             [&](const kv::Event* e) { return e->kv.mod_revision < w.next; });
    const unsigned filters = (w.filter.no_put ? 1u : 0u) | (w.filter.no_delete ? 2u : 0u) |
                             (w.filter.prev_kv ? 4u : 0u) | (w.fragment ? 8u : 0u);
    const Shape shape{d.match, static_cast<size_t>(first - in_range.begin()), filters};
    auto found = shared.find(shape);
    if (found == shared.end()) {
      const std::vector<const kv::Event*> mine(first, in_range.end());
      found = shared.emplace(shape, mine.empty() ? Batch() : batch(w, mine, revision)).first;
    }
    if (!queue_events(s, w, found->second)) {
      mark_unsynced(s, w);
      continue;
    }
    w.next = std::max(w.next, revision + 1);
  }
  // No progress request can be waiting to be answered here: a stream's request is answered as
  // soon as none of its watchers is unsynced, and a dispatch only makes watchers unsynced.
}

std::vector<WatchHub::Due> WatchHub::due(
    const std::vector<kv::WatcherGroup::RangeMatch>& matches) const {
  std::vector<Due> out;
  for (size_t i = 0; i < matches.size(); ++i) {
    for (const uint64_t id : matches[i].watchers) {
      const WatcherRef& ref = synced_refs_.at(id);
      if (!ref.stream->finish)
        out.push_back(Due{.stream = ref.stream, .watcher = ref.watcher, .match = i});
    }
  }
  std::sort(out.begin(), out.end(), [](const Due& a, const Due& b) {
    return std::tie(a.stream->id, a.watcher->id) < std::tie(b.stream->id, b.watcher->id);
  });
  return out;
}

// --- Catching up (the syncer) ---------------------------------------------------------------

bool WatchHub::sync_once() {
  Actions actions;
  std::vector<CatchUp> jobs;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return false;
    const size_t low_water = options_.max_pending_bytes / 2;
    for (auto& [id, s] : streams_) {
      if (s.finish || s.unsynced == 0 || s.queued_bytes >= low_water) continue;
      for (auto& [watch_id, w] : s.watchers) {
        if (w.synced) continue;
        if (w.next > dispatched_) {
          mark_synced(s, w);
          continue;
        }
        jobs.push_back(CatchUp{.stream = s.id,
                               .watch_id = w.id,
                               .key = w.key,
                               .range_end = w.range_end,
                               .prev_kv = w.filter.prev_kv,
                               .next = w.next});
      }
      answer_progress_if_synced(s);
    }
    if (jobs.empty()) pump_all(actions);
  }
  if (jobs.empty()) {
    actions.run();
    return false;
  }
  // Each read is bounded (catch_up_events, catch_up_bytes), so applies wait at most that long
  // for the lock.
  for (CatchUp& job : jobs) {
    machine_.read([&](const kv::Store& store) {
      job.compact_revision = store.compact_revision();
      job.read_revision = store.revision();
      job.events = store.events(kv::KeyRange::checked(job.key, job.range_end), job.next, 0,
                                options_.catch_up_events, job.prev_kv, options_.catch_up_bytes);
    });
  }
  bool more = false;
  {
    std::lock_guard lock(mu_);
    for (CatchUp& job : jobs) apply_catch_up(job);
    pump_all(actions);
    const size_t low_water = options_.max_pending_bytes / 2;
    for (const auto& [id, s] : streams_) {
      more = more || (!s.finish && s.unsynced > 0 && s.queued_bytes < low_water);
    }
  }
  actions.run();
  return more;
}

void WatchHub::apply_catch_up(CatchUp& job) {
  auto sit = streams_.find(job.stream);
  if (sit == streams_.end() || sit->second.finish) return;
  Stream& s = sit->second;
  auto wit = s.watchers.find(job.watch_id);
  // Invariant 2: a result counts only for the watcher, and the position, it was read for.
  if (wit == s.watchers.end() || wit->second.synced || wit->second.next != job.next) return;
  Watcher& w = wit->second;
  if (!job.events) {
    queue_compacted(s, w, job.compact_revision);
    remove_watcher(s, wit);
    answer_progress_if_synced(s);
    return;
  }
  const std::vector<kv::Event>& events = *job.events;
  // A read cut short by its limit ends with a whole revision; one that was not saw everything
  // up to the store's revision then.
  size_t bytes = 0;
  for (const kv::Event& e : events) bytes += kv::event_bytes(e);
  const bool cut = (options_.catch_up_events > 0 && events.size() >= options_.catch_up_events) ||
                   (options_.catch_up_bytes > 0 && bytes >= options_.catch_up_bytes);
  const bool complete = events.empty() || !cut;
  const int64_t complete_to = complete ? job.read_revision : events.back().kv.mod_revision;
  std::vector<const kv::Event*> mine;
  mine.reserve(events.size());
  for (const kv::Event& e : events) mine.push_back(&e);
  if (!queue_events(s, w, batch(w, mine, complete_to))) return;
  w.next = complete_to + 1;
  if (w.next > dispatched_) mark_synced(s, w);
  answer_progress_if_synced(s);
}

void WatchHub::wake_syncer() {
  {
    std::lock_guard lock(sync_mu_);
    sync_wanted_ = true;
  }
  sync_wake_.notify_one();
}

void WatchHub::run_syncer() {
  std::unique_lock lock(sync_mu_);
  while (!sync_stop_) {
    sync_wake_.wait_for(lock, options_.sync_interval,
                        [this] { return sync_wanted_ || sync_stop_; });
    if (sync_stop_) break;
    sync_wanted_ = false;
    lock.unlock();
    // Rounds while work is ready, bounded so a stop is noticed.
    for (int round = 0; round < 64 && sync_once(); ++round) {
    }
    trim_if_due();
    lock.lock();
  }
}

// --- Time and leadership (loop thread) ------------------------------------------------------

void WatchHub::on_tick(std::chrono::steady_clock::time_point now) {
  Actions actions;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    if (!has_leader_) {
      if (!leaderless_since_) leaderless_since_ = now;
      if (now - *leaderless_since_ >= options_.no_leader_timeout) {
        for (auto& [id, s] : streams_) {
          if (s.require_leader && !s.finish) s.finish = to_grpc(no_leader());
        }
      }
    }
    if (!next_progress_) next_progress_ = now + options_.progress_interval;
    if (now >= *next_progress_) {
      next_progress_ = now + options_.progress_interval;
      // etcd: a watcher that asked for progress notifications and was sent no events since the
      // last tick gets an empty response saying how far it has seen; one catching up gets none.
      for (auto& [id, s] : streams_) {
        if (s.finish) continue;
        for (auto& [watch_id, w] : s.watchers) {
          if (!w.progress_notify) continue;
          if (w.synced && w.quiet) queue(s, response(w.id, std::max(dispatched_, w.next - 1)));
          w.quiet = true;
        }
      }
    }
    pump_all(actions);
  }
  actions.run();
}

void WatchHub::on_leader(raft::NodeId leader, bool /*is_self*/, raft::Term /*term*/) {
  std::lock_guard lock(mu_);
  has_leader_ = leader != raft::kNone;
  if (has_leader_) leaderless_since_.reset();
}

WatchHub::Stats WatchHub::stats() const {
  std::lock_guard lock(mu_);
  Stats st{.streams = streams_.size(), .unsynced = unsynced_, .dispatched = dispatched_};
  for (const auto& [id, s] : streams_) st.watchers += s.watchers.size();
  return st;
}

}  // namespace regent::server
