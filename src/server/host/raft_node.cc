#include "server/host/raft_node.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <random>

#include "server/node/image_job.h"

namespace regent::server {

namespace {

// Snapshot work yields the CPU to the loop and to gRPC's threads: on a machine with few cores,
// an image of the whole store on an equal footing with them delays every write meanwhile.
constexpr int kBackgroundNice = 10;

void lower_this_threads_priority() {
  // Linux applies a nice value to the one thread whose id is given.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kBackgroundNice);
}

NodeOptions with_host_defaults(NodeOptions o) {
  if (o.seed == 0) o.seed = std::random_device{}();
  // Request ids start from the wall clock, so that an entry proposed by an earlier incarnation of
  // this member and applied after its restart never matches a new client's id.
  if (o.first_request_id == 0) {
    o.first_request_id =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count())
        << 10;
  }
  return o;
}

}  // namespace

RaftNode::RaftNode(const NodeOptions& options, storage::DiskStorage& storage, StateMachine& machine,
                   Logger& logger)
    : storage_(storage),
      machine_(machine),
      logger_(logger),
      max_pending_(options.max_pending_requests),
      tick_(options.tick),
      core_(with_host_defaults(options), storage, machine, logger),
      sync_stage_(storage, wal_fsync_, [this](uint64_t round, storage::IoStatus synced) {
        post([&](Inbox& in) { in.synced.emplace_back(round, std::move(synced)); });
      }) {}

RaftNode::~RaftNode() { stop(); }

Expected<void, std::string> RaftNode::start(transport::Transport& transport) {
  if (auto started = core_.start(); !started) return started;
  cleaned_up_to_ = core_.snapshot_index();
  transport_ = &transport;
  publish_status();
  loop_ = std::thread([this] { run(); });
  return {};
}

void RaftNode::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (loop_.joinable()) loop_.join();
  sync_stage_.stop();
  // After the loop: the job reads the state machine, which outlives this member's threads.
  if (image_thread_.joinable()) image_thread_.join();
  if (cleanup_thread_.joinable()) cleanup_thread_.join();
  responder_.stop();
}

// --- Entry points (any thread) ------------------------------------------------------------

void RaftNode::propose(regentpb::InternalRequest request, WriteDone done) {
  if (pending_.load() >= max_pending_) return done(unexpected(too_many_requests()));
  {
    std::lock_guard lock(mu_);
    if (stopping_) return done(unexpected(stopped()));
    ++pending_;
    inbox_.proposals.emplace_back(
        std::move(request),
        counted(WriteDone([this, done = std::move(done)](Expected<WriteResponse, Failure> r) {
          if (!r) proposals_failed_.fetch_add(1, std::memory_order_relaxed);
          done(std::move(r));
        })));
  }
  wake_.notify_one();
}

void RaftNode::read_index(Done done) {
  if (pending_.load() >= max_pending_) return done(unexpected(too_many_requests()));
  {
    std::lock_guard lock(mu_);
    if (stopping_) return done(unexpected(stopped()));
    ++pending_;
    inbox_.reads.push_back(counted(std::move(done)));
  }
  wake_.notify_one();
}

void RaftNode::transfer_leadership(raft::NodeId target, Done done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return done(unexpected(stopped()));
    inbox_.transfers.push_back({target, std::move(done)});
  }
  wake_.notify_one();
}

void RaftNode::defragment(Done done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return done(unexpected(stopped()));
    inbox_.defragments.push_back(std::move(done));
  }
  wake_.notify_one();
}

void RaftNode::propose_member_change(regentpb::MemberChange change, WriteDone done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return done(unexpected(stopped()));
    ++pending_;
    inbox_.member_changes.emplace_back(std::move(change), counted(std::move(done)));
  }
  wake_.notify_one();
}

void RaftNode::begin_backup(BackupHandler handed) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return handed(unexpected(stopped()));
    inbox_.backups.push_back(std::move(handed));
  }
  wake_.notify_one();
}

void RaftNode::on_messages(std::vector<raft::Message> messages) {
  post([&](Inbox& in) {
    for (raft::Message& m : messages) in.messages.push_back(std::move(m));
  });
}

void RaftNode::on_unreachable(raft::NodeId peer) {
  post([&](Inbox& in) { in.unreachable.push_back(peer); });
}

void RaftNode::on_peer_down(raft::NodeId peer) {
  post([&](Inbox& in) { in.down.push_back(peer); });
}

void RaftNode::on_snapshot_sent(raft::NodeId peer, bool ok) {
  post([&](Inbox& in) { in.snapshot_reports.emplace_back(peer, ok); });
}

NodeStatus RaftNode::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

std::optional<Failure> RaftNode::read_refusal() const {
  if (!refusing_.load(std::memory_order_acquire)) return std::nullopt;
  std::lock_guard lock(mu_);
  return refusal_;
}

// --- The loop -------------------------------------------------------------------------------

void RaftNode::run() {
  Time next_tick = Clock::now() + tick_;
  while (true) {
    Inbox in;
    {
      std::unique_lock lock(mu_);
      wake_.wait_until(lock, next_tick, [&] { return stopping_ || !inbox_.empty(); });
      if (stopping_) break;
      std::swap(in, inbox_);
    }
    const Time now = Clock::now();
    if (now >= next_tick) {
      core_.tick(now);
      // After a stall (a slow fsync) the clock restarts from now instead of firing a burst of
      // ticks, which would make followers campaign against a leader that was merely slow.
      next_tick = std::max(next_tick + tick_, now);
    }
    const bool ok = feed(in, now) && perform();
    if (core_.snapshot_index() > cleaned_up_to_) {
      cleaned_up_to_ = core_.snapshot_index();
      clean_up_after_snapshot();
    }
    publish_status();
    if (!ok) {
      failed_ = true;
      break;
    }
  }
  Inbox left;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    std::swap(left, inbox_);
  }
  const Failure f = failed_ ? Failure{StatusCode::UNAVAILABLE,
                                      "etcdserver: the member stopped after a disk failure"}
                            : stopped();
  for (auto& [request, done] : left.proposals) done(unexpected(f));
  for (Done& d : left.reads) d(unexpected(f));
  for (Transfer& t : left.transfers) t.done(unexpected(f));
  for (Done& d : left.defragments) d(unexpected(f));
  for (auto& [done, outcome] : left.defragmented) done(std::move(outcome));
  for (auto& [change, done] : left.member_changes) done(unexpected(f));
  for (BackupHandler& handed : left.backups) handed(unexpected(f));
  core_.stop(f);
  NodeActions last = core_.take_actions();
  responder_.hand_over(last.answers);
}

bool RaftNode::feed(Inbox& in, Time now) {
  // First: a finished sync lets rounds finish, and what the core queued meanwhile be written.
  for (auto& [round, synced] : in.synced) {
    if (auto finished = storage_.finish_sync(synced); !finished) {
      logger_.error("{}", finished.error().message);
      return false;
    }
    core_.synced(round);
  }
  if (!in.messages.empty()) core_.step(std::move(in.messages));
  for (raft::NodeId peer : in.unreachable) core_.report_unreachable(peer);
  for (raft::NodeId peer : in.down) core_.report_peer_down(peer);
  for (auto [peer, ok] : in.snapshot_reports) core_.report_snapshot(peer, ok);
  if (!in.proposals.empty()) core_.propose_batch(std::move(in.proposals), now);
  if (!in.reads.empty()) core_.read_index(std::move(in.reads), now);
  for (Transfer& t : in.transfers) core_.transfer_leadership(t.target, std::move(t.done), now);
  for (auto& [done, outcome] : in.defragmented) {
    --defragmenting_;
    done(std::move(outcome));
  }
  for (Done& d : in.defragments) {
    ++defragmenting_;
    core_.defragment(
        [this, d = std::move(d)](Expected<void, Failure> outcome) mutable {
          std::unique_lock lock(mu_);
          if (stopping_) {  // No loop left to hand it back to.
            lock.unlock();
            return d(std::move(outcome));
          }
          inbox_.defragmented.emplace_back(std::move(d), std::move(outcome));
          lock.unlock();
          wake_.notify_one();
        },
        now);
  }
  for (auto& [change, done] : in.member_changes) {
    core_.propose_member_change(std::move(change), std::move(done), now);
  }
  // Between two applies: the previous round is done and the next has not begun.
  for (BackupHandler& handed : in.backups) handed(machine_.begin_image());
  for (auto& [index, image] : in.images) {
    if (image) {
      core_.image_taken(index, *image);  // Committed now, or once the sync outstanding is done.
    } else {
      core_.image_failed(index, image.error());
    }
  }
  return true;
}

void RaftNode::clean_up_after_snapshot() {
  // Snapshots are thousands of entries apart: the previous cleanup is long done.
  if (cleanup_thread_.joinable()) cleanup_thread_.join();
  if (defragmenting_ > 0) {
    // An operator asked for the space back and waits for it: removed before the answer.
    storage_.remove_files(storage_.take_files_to_remove());
    return;
  }
  cleanup_thread_ = std::thread([this, doomed = storage_.take_files_to_remove()] {
    lower_this_threads_priority();
    const Time began = Clock::now();
    // Unlinking a file of the whole store takes tens of milliseconds.
    storage_.remove_files(doomed);
    // The log entries the snapshot let storage drop were freed in pieces that malloc keeps for
    // reuse; most of it would stay resident until the next snapshot.
    malloc_trim(0);
    logger_.info(
        "after the snapshot: {} files removed and memory returned in {} ms", doomed.size(),
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began).count());
  });
}

void RaftNode::start_image(const NodeActions::Image& image) {
  ImageJob job = machine_.begin_image();
  // The core asks for the next image only after this one was reported: that thread is done.
  if (image_thread_.joinable()) image_thread_.join();
  image_thread_ = std::thread([this, image, job = std::move(job)]() mutable {
    lower_this_threads_priority();
    Expected<uint64_t, std::string> written = unexpected(std::string());
    {
      Expected<std::string, std::string> bytes = job.run();
      if (!bytes) {
        written = unexpected(std::move(bytes.error()));
      } else {
        raft::Snapshot snapshot{.data = std::move(*bytes), .metadata = image.metadata};
        auto saved = storage_.write_snapshot_file(snapshot);
        written = saved ? Expected<uint64_t, std::string>(snapshot.data.size())
                        : unexpected(saved.error().message);
      }
    }  // The image is freed here, not on the loop: the file holds it now.
    post([&](Inbox& in) { in.images.emplace_back(image.index, std::move(written)); });
  });
}

bool RaftNode::perform() {
  while (true) {
    NodeActions a = core_.take_actions();
    if (!a.messages.empty()) transport_->send(std::move(a.messages));
    if (!a.answers.empty()) responder_.hand_over(a.answers);
    if (a.fatal) return false;
    if (a.image) start_image(*a.image);
    if (a.sync_round) sync_stage_.request(*a.sync_round);
    if (!a.image) return true;
  }
}

void RaftNode::publish_status() {
  NodeStatus s = core_.status();
  std::optional<Failure> refusal = core_.read_refusal();
  term_.store(s.term, std::memory_order_relaxed);
  if (s.leader != raft::kNone && s.leader != last_leader_) {
    leader_changes_.fetch_add(1, std::memory_order_relaxed);
  }
  last_leader_ = s.leader;
  std::lock_guard lock(mu_);
  status_ = std::move(s);
  refusing_.store(refusal.has_value(), std::memory_order_release);
  refusal_ = std::move(refusal);
}

}  // namespace regent::server
