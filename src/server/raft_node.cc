#include "server/raft_node.h"

#include <malloc.h>

#include <random>

#include "raft/conf_change.h"

namespace regent::server {

namespace {

Failure from_raft(raft::Error e) {
  switch (e) {
    case raft::Error::kNoLeader:
      return no_leader();
    case raft::Error::kTransferInProgress:
      return leader_changed();
    case raft::Error::kTooManyUncommitted:
      return too_many_requests();
    case raft::Error::kNotLeader:
      return not_leader();
    default:
      break;
  }
  return Failure{grpc::StatusCode::INTERNAL, fmt::format("etcdserver: {}", raft::to_string(e))};
}

Expected<WriteResponse, Failure> to_answer(WriteResult r) {
  if (!r) return unexpected(from_kv(r.error()));
  return std::move(*r);
}

}  // namespace

RaftNode::RaftNode(const NodeOptions& options, storage::DiskStorage& storage, StateMachine& machine,
                   Logger& logger)
    : options_(options), storage_(storage), machine_(machine), logger_(logger) {
  // Request ids start from the wall clock, so that an entry proposed by an earlier incarnation of
  // this member and applied after its restart never matches a new client's id.
  last_id_ = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count())
             << 10;
}

RaftNode::~RaftNode() { stop(); }

Expected<void, std::string> RaftNode::start(transport::Transport& transport) {
  auto snapshot = storage_.snapshot();
  if (!snapshot) return unexpected(std::string("the data directory holds no snapshot"));
  if (auto restored = machine_.restore(snapshot->data); !restored) {
    return unexpected(fmt::format("cannot restore the snapshot at index {}: {}",
                                  snapshot->metadata.index, restored.error()));
  }
  snapshot_index_ = applied_ = snapshot->metadata.index;
  conf_state_ = storage_.initial_state().second;

  raft::Config c;
  c.id = options_.id;
  c.election_tick = options_.election_ticks;
  c.heartbeat_tick = 1;
  c.storage = &storage_;
  c.applied = applied_;
  c.check_quorum = true;
  c.pre_vote = true;
  c.campaign_on_leader_down = options_.campaign_on_leader_down;
  c.lost_entries_up_to = options_.lost_entries_up_to;
  c.seed = std::random_device{}();
  c.logger = &logger_;
  if (std::string problem = c.validate(); !problem.empty()) return unexpected(problem);
  raw_ = std::make_unique<raft::RawNode>(c);
  awaiting_leader_after_torn_tail_ = storage_.recovery().torn_tail.has_value();
  transport_ = &transport;
  refresh_status();
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
  responder_.stop();
}

// --- Entry points (any thread) ------------------------------------------------------------

void RaftNode::propose(regentpb::InternalRequest request, WriteDone done) {
  if (pending_.load() >= options_.max_pending_requests)
    return done(unexpected(too_many_requests()));
  {
    std::lock_guard lock(mu_);
    if (stopping_) return done(unexpected(stopped()));
    ++pending_;
    inbox_.proposals.push_back({std::move(request), std::move(done)});
  }
  wake_.notify_one();
}

void RaftNode::read_index(Done done) {
  if (pending_.load() >= options_.max_pending_requests)
    return done(unexpected(too_many_requests()));
  {
    std::lock_guard lock(mu_);
    if (stopping_) return done(unexpected(stopped()));
    ++pending_;
    inbox_.reads.push_back(std::move(done));
  }
  wake_.notify_one();
}

void RaftNode::transfer_leadership(raft::NodeId target, Done done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return done(unexpected(stopped()));
    inbox_.transfers.push_back({target, std::move(done), {}});
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

// --- The loop -------------------------------------------------------------------------------

void RaftNode::run() {
  Clock::time_point next_tick = Clock::now() + options_.tick;
  while (true) {
    Inbox in;
    {
      std::unique_lock lock(mu_);
      wake_.wait_until(lock, next_tick, [&] { return stopping_ || !inbox_.empty(); });
      if (stopping_) break;
      std::swap(in, inbox_);
    }
    const Clock::time_point now = Clock::now();
    if (now >= next_tick) {
      raw_->tick();
      // After a stall (a slow fsync) the clock restarts from now instead of firing a burst of
      // ticks, which would make followers campaign against a leader that was merely slow.
      next_tick = std::max(next_tick + options_.tick, now);
      expire(now);
      maybe_publish(now);
      for (NodeObserver* o : observers_) o->on_tick(now);
    }
    round(in, now);
    const bool ok = handle_ready();
    check_transfer(now);
    refresh_status();
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
  const Failure f = failed_ ? Failure{grpc::StatusCode::UNAVAILABLE,
                                      "etcdserver: the member stopped after a disk failure"}
                            : stopped();
  for (Proposal& p : left.proposals) p.done(unexpected(f));
  for (Done& d : left.reads) d(unexpected(f));
  for (Transfer& t : left.transfers) t.done(unexpected(f));
  fail_all(f);
}

void RaftNode::round(Inbox& in, Clock::time_point now) {
  for (const raft::Message& m : in.messages) raw_->step(m);
  for (raft::NodeId peer : in.unreachable) raw_->report_unreachable(peer);
  for (raft::NodeId peer : in.down) raw_->report_leader_down(peer);
  for (auto [peer, ok] : in.snapshot_reports) raw_->report_snapshot(peer, ok);
  handle_proposals(in.proposals, now);
  handle_reads(in.reads, now);
  for (Transfer& t : in.transfers) {
    t.deadline = now + 2 * options_.election_ticks * options_.tick + options_.request_timeout;
    handle_transfer(std::move(t));
  }
}

void RaftNode::handle_proposals(std::vector<Proposal>& proposals, Clock::time_point now) {
  if (proposals.empty()) return;
  const raft::Index committed = raw_->raft().log().committed();
  if (committed > applied_ + options_.max_apply_lag) {
    for (Proposal& p : proposals) {
      --pending_;
      p.done(unexpected(too_many_requests()));
    }
    return;
  }
  std::vector<std::string> data;
  std::vector<uint64_t> ids;
  data.reserve(proposals.size());
  ids.reserve(proposals.size());
  for (Proposal& p : proposals) {
    const uint64_t id = next_id();
    p.request.mutable_header()->set_id(id);
    p.request.mutable_header()->set_member(options_.id);
    data.push_back(p.request.SerializeAsString());
    ids.push_back(id);
    waiters_.emplace(id, Waiter{std::move(p.done), now + options_.request_timeout});
  }
  const raft::Error e = raw_->propose_batch(std::move(data));
  if (e == raft::Error::kOk) return;
  const Failure f = from_raft(e);
  for (uint64_t id : ids) {
    auto node = waiters_.extract(id);
    --pending_;
    node.mapped().done(unexpected(f));
  }
}

void RaftNode::handle_reads(std::vector<Done>& reads, Clock::time_point now) {
  if (reads.empty()) return;
  const uint64_t context = next_id();
  const raft::Error e = raw_->read_index(std::to_string(context));
  if (e != raft::Error::kOk) {
    const Failure f = from_raft(e);
    for (Done& d : reads) {
      --pending_;
      d(unexpected(f));
    }
    return;
  }
  reads_.emplace(context, ReadBatch{std::move(reads), now + options_.request_timeout, 0});
}

void RaftNode::handle_transfer(Transfer t) {
  if (transfer_) {
    return t.done(unexpected(Failure{grpc::StatusCode::FAILED_PRECONDITION,
                                     "etcdserver: a leader transfer is already in progress"}));
  }
  if (raw_->raft().role() != raft::Role::kLeader) return t.done(unexpected(not_leader()));
  if (t.target == raft::kNone) t.target = best_transferee();
  if (t.target == options_.id) return t.done({});
  if (t.target == raft::kNone || !conf_state_.voters.contains(t.target)) {
    return t.done(unexpected(bad_transferee()));
  }
  logger_.info("transferring leadership to {:x}", t.target);
  if (raft::Error e = raw_->transfer_leader(t.target); e != raft::Error::kOk) {
    return t.done(unexpected(from_raft(e)));
  }
  transfer_ = std::move(t);
}

void RaftNode::check_transfer(Clock::time_point now) {
  if (!transfer_) return;
  if (leader_ == transfer_->target) {
    logger_.info("transferred leadership to {:x}", transfer_->target);
    auto done = std::move(transfer_->done);
    transfer_.reset();
    return done({});
  }
  if (now >= transfer_->deadline) {
    auto done = std::move(transfer_->done);
    transfer_.reset();
    done(unexpected(transfer_timeout()));
  }
}

raft::NodeId RaftNode::best_transferee() const {
  // The follower with the longest log among those heard from lately: one that stopped or was
  // cut off could not take over, however long its log.
  raft::NodeId best = raft::kNone;
  std::pair<bool, raft::Index> best_rank{false, 0};
  for (const auto& [id, progress] : raw_->raft().tracker().progress) {
    if (id == options_.id || !conf_state_.voters.contains(id)) continue;
    const std::pair<bool, raft::Index> rank{progress.recent_active, progress.match};
    if (best == raft::kNone || rank > best_rank) {
      best = id;
      best_rank = rank;
    }
  }
  return best;
}

bool RaftNode::handle_ready() {
  while (raw_->has_ready()) {
    raft::Ready rd = raw_->ready();
    if (rd.soft_state && rd.soft_state->lead != leader_) {
      on_leader_change(leader_, rd.soft_state->lead);
    }
    if (rd.hard_state) term_.store(rd.hard_state->term, std::memory_order_relaxed);
    if (!rd.messages.empty()) transport_->send(std::move(rd.messages));
    // Committed entries are durable on a majority already, so they are applied (and their
    // clients answered) before this member's own write, not a whole fsync later. The leader's
    // are durable here too: it counts itself toward commit only once its write completed. A
    // snapshot must be installed before anything after it is applied.
    const bool applied_early = !rd.snapshot;
    if (applied_early) apply_ready(rd);

    Expected<void, storage::Failure> saved;
    if (rd.must_sync || rd.snapshot || !rd.entries.empty()) {
      saved = storage_.save(rd.entries, rd.hard_state, rd.snapshot);
    } else if (rd.hard_state) {
      // A commit-only change: losing it in a crash costs nothing, so it waits for the next sync.
      saved = storage_.write({}, rd.hard_state, std::nullopt);
    }
    if (!saved) {
      logger_.error("{}", saved.error().message);
      return false;
    }
    if (rd.snapshot) {
      if (auto restored = machine_.restore(rd.snapshot->data); !restored) {
        logger_.error("cannot install the leader's snapshot at index {}: {}; the member stops",
                      rd.snapshot->metadata.index, restored.error());
        return false;
      }
      conf_state_ = rd.snapshot->metadata.conf_state;
      snapshot_index_ = applied_ = rd.snapshot->metadata.index;
      logger_.info("installed snapshot at index {} (term {}) from the leader",
                   rd.snapshot->metadata.index, rd.snapshot->metadata.term);
    }
    if (!rd.messages_after_persist.empty()) transport_->send(std::move(rd.messages_after_persist));
    if (!applied_early) apply_ready(rd);
    raw_->advance();
    if (!storage_.failure()) maybe_snapshot();
    if (storage_.failure()) {
      logger_.error("{}", storage_.failure()->message);
      return false;
    }
  }
  return true;
}

void RaftNode::apply_ready(const raft::Ready& rd) {
  apply(rd.committed_entries);
  if (rd.snapshot || !rd.committed_entries.empty()) {
    for (NodeObserver* o : observers_) o->on_applied(applied_, machine_.revision());
  }
  for (const raft::ReadState& rs : rd.read_states) {
    auto it = reads_.find(std::strtoull(rs.context.c_str(), nullptr, 10));
    if (it != reads_.end()) it->second.index = rs.index;
  }
  answer_reads();
  responder_.hand_over(answers_);
}

void RaftNode::apply(const std::vector<raft::Entry>& entries) {
  for (const raft::Entry& e : entries) {
    if (e.index <= applied_) continue;
    applied_ = e.index;
    if (e.type == raft::EntryType::kConfChange) {
      auto cc = raft::decode_conf_change(e.data);
      if (!cc) {
        logger_.error("committed membership change at index {} cannot be decoded", e.index);
        continue;
      }
      conf_state_ = raw_->apply_conf_change(*cc);
      continue;
    }
    if (e.data.empty()) continue;  // A new leader's no-op.
    regentpb::InternalRequest request;
    if (!request.ParseFromString(e.data)) {
      // Every member fails to decode the same bytes, so skipping keeps them equal; but it means
      // a bug or a corrupted proposal, so it is loud.
      logger_.error("committed entry at index {} is not a request; skipped", e.index);
      continue;
    }
    WriteResult result = machine_.apply(request);
    if (request.has_publish() && request.publish().id() == options_.id) published_ = true;
    if (request.header().member() != options_.id) continue;
    auto node = waiters_.extract(request.header().id());
    if (node.empty()) continue;  // Timed out already, or proposed by an earlier incarnation.
    --pending_;
    answers_.push_back(
        [done = std::move(node.mapped().done), answer = to_answer(std::move(result))]() mutable {
          done(std::move(answer));
        });
  }
}

void RaftNode::answer_reads() {
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (it->second.index == 0 || it->second.index > applied_) {
      ++it;
      continue;
    }
    for (Done& d : it->second.done) {
      --pending_;
      answers_.push_back([d = std::move(d)] { d({}); });
    }
    it = reads_.erase(it);
  }
}

void RaftNode::maybe_snapshot() {
  if (options_.snapshot_count == 0 || applied_ < snapshot_index_ + options_.snapshot_count) return;
  if (applied_ > storage_.last_index()) return;
  const auto started = Clock::now();
  std::string image = machine_.image();
  const size_t bytes = image.size();
  // A commit-only round leaves its hard state written but not synced, and a snapshot must not
  // be taken over unsynced writes: after the last write of a burst that was what silently put
  // the snapshot off until the next write.
  if (auto synced = storage_.sync(); !synced) return;  // Poisoned; handle_ready() stops.
  if (auto made = storage_.create_snapshot(applied_, conf_state_, std::move(image)); !made) {
    if (!storage_.failure())
      logger_.warn("snapshot at index {} not taken: {}", applied_, made.error().message);
    return;  // Otherwise the storage is poisoned; handle_ready() stops the member.
  }
  snapshot_index_ = applied_;
  // The log entries the snapshot let storage drop, and the image's buffers, were freed in
  // pieces that malloc keeps for reuse; most of it would stay resident until the next snapshot.
  malloc_trim(0);
  logger_.info(
      "saved snapshot at index {} ({} bytes, {} ms)", applied_, bytes,
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
}

void RaftNode::maybe_publish(Clock::time_point now) {
  if (!options_.publish || published_ || leader_ == raft::kNone || now < next_publish_) return;
  next_publish_ = now + options_.request_timeout;
  regentpb::InternalRequest request;
  *request.mutable_publish() = *options_.publish;
  std::vector<Proposal> one;
  one.push_back({std::move(request), [](Expected<WriteResponse, Failure>) {}});
  ++pending_;
  handle_proposals(one, now);
}

void RaftNode::on_leader_change(raft::NodeId old_leader, raft::NodeId new_leader) {
  leader_ = new_leader;
  for (NodeObserver* o : observers_) {
    o->on_leader(new_leader, new_leader == options_.id, raw_->raft().term());
  }
  if (new_leader == raft::kNone) {
    logger_.info("lost leader {:x} at term {}", old_leader, raw_->raft().term());
  } else {
    logger_.info("leader is {:x} at term {}", new_leader, raw_->raft().term());
  }
  if (old_leader == raft::kNone) return;
  // Writes and reads in flight went through the old leader: they may never be answered by the
  // new one, so their clients hear now instead of after the request timeout. A write may still
  // commit; like a timeout, "leader changed" promises nothing either way.
  const Failure f = leader_changed();
  for (auto& [id, w] : waiters_) {
    --pending_;
    w.done(unexpected(f));
  }
  waiters_.clear();
  for (auto& [context, batch] : reads_) {
    for (Done& d : batch.done) {
      --pending_;
      d(unexpected(f));
    }
  }
  reads_.clear();
}

void RaftNode::expire(Clock::time_point now) {
  while (!waiters_.empty() && waiters_.begin()->second.deadline <= now) {
    auto node = waiters_.extract(waiters_.begin());
    --pending_;
    node.mapped().done(unexpected(request_timeout()));
  }
  while (!reads_.empty() && reads_.begin()->second.deadline <= now) {
    auto node = reads_.extract(reads_.begin());
    for (Done& d : node.mapped().done) {
      --pending_;
      d(unexpected(request_timeout()));
    }
  }
}

void RaftNode::fail_all(const Failure& f) {
  for (auto& [id, w] : waiters_) w.done(unexpected(f));
  waiters_.clear();
  for (auto& [context, batch] : reads_) {
    for (Done& d : batch.done) d(unexpected(f));
  }
  reads_.clear();
  if (transfer_) {
    auto done = std::move(transfer_->done);
    transfer_.reset();
    done(unexpected(f));
  }
  pending_ = 0;
}

std::optional<Failure> RaftNode::read_refusal() const {
  if (awaiting_leader_after_torn_tail_.load(std::memory_order_relaxed)) {
    return awaiting_leader_after_torn_tail();
  }
  const raft::Index target = catching_up_to_.load(std::memory_order_relaxed);
  if (target == 0) return std::nullopt;
  return catching_up(last_index_.load(std::memory_order_relaxed), target);
}

void RaftNode::refresh_status() {
  const raft::Raft& r = raw_->raft();
  NodeStatus s;
  s.id = options_.id;
  s.leader = r.lead();
  s.term = r.term();
  s.last_index = r.log().last_index();
  s.commit = r.log().committed();
  s.applied = applied_;
  s.is_leader = r.role() == raft::Role::kLeader;
  // Reads stay refused past the core's catch-up until the store has applied that far too.
  read_barrier_ = std::max(read_barrier_, r.catching_up_to());
  if (r.catching_up_to() == 0 && applied_ >= read_barrier_) read_barrier_ = 0;
  term_.store(s.term, std::memory_order_relaxed);
  last_index_.store(s.last_index, std::memory_order_relaxed);
  catching_up_to_.store(read_barrier_);
  // The leader's message that set lead() was stepped in the same round: a loss it revealed is
  // in catching_up_to_ already (stored just above), so the two refusals hand over with no gap.
  if (s.leader != raft::kNone) awaiting_leader_after_torn_tail_.store(false);
  if (storage_.failure()) s.errors.push_back(storage_.failure()->message);
  if (auto refused = read_refusal()) s.errors.push_back(refused->message);
  std::lock_guard lock(mu_);
  status_ = std::move(s);
}

}  // namespace regent::server
