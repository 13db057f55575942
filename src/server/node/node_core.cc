#include "server/node/node_core.h"

#include <utility>

#include "common/assert.h"
#include "raft/conf_change.h"
#include "server/node/space_quota.h"

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
  return Failure{StatusCode::INTERNAL, fmt::format("etcdserver: {}", raft::to_string(e))};
}

Expected<WriteResponse, Failure> to_answer(WriteResult r) {
  if (!r) return unexpected(from_kv(r.error()));
  return std::move(*r);
}

// Whether the test variant was asked to break this ordering (fault_points.h).
bool faulty([[maybe_unused]] const NodeOptions& o, [[maybe_unused]] NodeFault f) {
#ifdef REGENT_NODE_FAULT_POINTS
  return o.fault == f;
#else
  return false;
#endif
}

}  // namespace

NodeCore::NodeCore(const NodeOptions& options, storage::DiskStorage& storage, StateMachine& machine,
                   Logger& logger)
    : options_(options),
      storage_(storage),
      machine_(machine),
      logger_(logger),
      last_id_(options.first_request_id) {}

Expected<void, std::string> NodeCore::start() {
  if (options_.fault != NodeFault::kNone && !node_fault_points_built()) {
    return unexpected(std::string("fault points are built only into the test variant"));
  }
  // A member that joined a running cluster starts with no snapshot and no log: the leader's
  // snapshot brings the state machine, member table included (node_core_members.cc).
  const bool nothing_yet = storage_.last_index() == 0 && storage_.first_index() <= 1 &&
                           storage_.initial_state().second.voters.empty();
  auto snapshot = nothing_yet ? Expected<raft::Snapshot, storage::Failure>(raft::Snapshot{})
                              : storage_.take_snapshot();
  if (!snapshot) {
    return unexpected(
        fmt::format("cannot read the data directory's snapshot: {}", snapshot.error().message));
  }
  if (auto restored =
          nothing_yet ? Expected<void, std::string>() : machine_.restore(snapshot->data);
      !restored) {
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
  c.check_quorum = options_.check_quorum;
  c.pre_vote = options_.pre_vote;
  c.campaign_on_leader_down = options_.campaign_on_leader_down;
  c.lost_entries_up_to = options_.lost_entries_up_to;
  if (options_.max_msg_bytes > 0) c.max_size_per_msg = options_.max_msg_bytes;
  c.seed = options_.seed;
  c.logger = &logger_;
  if (std::string problem = c.validate(); !problem.empty()) return unexpected(problem);
  raw_ = std::make_unique<raft::RawNode>(c);
  // Ticks short of any randomized timeout ([election_ticks, 2 * election_ticks)): no campaign
  // yet, but the first one comes at most election_ticks ticks from now.
  if (options_.fast_forward_election && options_.election_ticks > 1) {
    for (int i = 0; i + 1 < options_.election_ticks; ++i) raw_->tick();
  }
  awaiting_leader_after_torn_tail_ = storage_.recovery().torn_tail.has_value();
  update_read_barrier();
  announce_members();
  return {};
}

// --- Events ---------------------------------------------------------------------------------

void NodeCore::propose(regentpb::InternalRequest request, WriteDone done, Time now) {
  std::vector<std::pair<regentpb::InternalRequest, WriteDone>> one;
  one.emplace_back(std::move(request), std::move(done));
  propose_batch(std::move(one), now);
}

void NodeCore::propose_batch(std::vector<std::pair<regentpb::InternalRequest, WriteDone>> writes,
                             Time now) {
  if (stopped_ || writes.empty()) return;
  now_ = now;
  do_propose(writes, now);
}

void NodeCore::read_index(std::vector<Done> reads, Time now) {
  if (stopped_ || reads.empty()) return;
  now_ = now;
  do_read(std::move(reads), now);
}

void NodeCore::transfer_leadership(raft::NodeId target, Done done, Time now) {
  if (stopped_) return;
  now_ = now;
  Transfer t{target, std::move(done),
             now + 2 * options_.election_ticks * options_.tick + options_.request_timeout};
  do_transfer(std::move(t));
}

void NodeCore::defragment(Done done, Time now) {
  if (stopped_) return;
  now_ = now;
  defrag_waiters_.push_back(std::move(done));
  defrag_index_ = applied_;
  maybe_request_image();
}

void NodeCore::settle_defragment(const std::optional<Failure>& failed) {
  if (defrag_waiters_.empty() || (!failed && snapshot_index_ < defrag_index_)) return;
  for (Done& d : std::exchange(defrag_waiters_, {})) {
    actions_.answers.push_back([d = std::move(d), failed] {
      if (failed) return d(unexpected(*failed));
      d({});
    });
  }
}

raft::Error NodeCore::propose_conf_change(const raft::ConfChange& cc) {
  if (stopped_) return raft::Error::kNoLeader;
  return raw_->propose_conf_change(cc);
}

void NodeCore::step(std::vector<raft::Message> messages) {
  if (stopped_) return;
  for (const raft::Message& m : messages) raw_->step(m);
}

void NodeCore::report_unreachable(raft::NodeId peer) {
  if (stopped_) return;
  raw_->report_unreachable(peer);
}

void NodeCore::report_peer_down(raft::NodeId peer) {
  if (stopped_) return;
  raw_->report_leader_down(peer);
}

void NodeCore::report_snapshot(raft::NodeId peer, bool delivered) {
  if (stopped_) return;
  raw_->report_snapshot(peer, delivered);
}

void NodeCore::tick(Time now) {
  if (stopped_) return;
  now_ = now;
  do_tick(now);
}

void NodeCore::synced(uint64_t round) {
  if (stopped_) return;
  REGENT_ASSERT(syncing_ == round, "synced({}) but the sync outstanding is {}", round,
                syncing_ ? std::to_string(*syncing_) : "none");
  syncing_.reset();
  for (Round& r : rounds_) {
    if (!r.written) break;
    r.synced = true;
  }
  finish_rounds();
  if (stopped_) return;
  if (image_to_commit_) {
    auto [index, bytes] = *std::exchange(image_to_commit_, std::nullopt);
    commit_image(index, bytes);
  }
}

void NodeCore::image_taken(raft::Index index, uint64_t image_bytes) {
  if (stopped_) return;
  if (!image_wanted_ || image_wanted_->index != index) return forget_abandoned_image(index);
  // Committing it writes the log's mark: not while the host's fdatasync is outstanding.
  if (syncing_) {
    image_to_commit_.emplace(index, image_bytes);
    return;
  }
  commit_image(index, image_bytes);
}

void NodeCore::commit_image(raft::Index index, uint64_t image_bytes) {
  // image_taken() checked it; an install meanwhile drops image_to_commit_ with image_wanted_.
  REGENT_ASSERT(image_wanted_ && image_wanted_->index == index, "image {} committed unasked",
                index);
  const raft::SnapshotMetadata metadata = image_wanted_->metadata;
  image_wanted_.reset();
  const raft::Index claimed = metadata.index;
  // A commit-only round leaves its hard state written but not synced, and a snapshot must not
  // be taken over unsynced writes: after the last write of a burst that was what silently put
  // the snapshot off until the next write.
  if (auto synced = storage_.sync(); !synced) return fatal(synced.error().message);
  if (auto made = storage_.commit_snapshot(metadata); !made) {
    if (storage_.failure()) return fatal(storage_.failure()->message);
    logger_.warn("snapshot at index {} not taken: {}", claimed, made.error().message);
    return settle_defragment(Failure{StatusCode::INTERNAL, made.error().message});
  }
  snapshot_index_ = claimed;
  logger_.info("saved snapshot at index {} ({} bytes)", claimed, image_bytes);
  if (!defrag_waiters_.empty() && claimed >= defrag_index_) {
    if (auto dropped = storage_.drop_history(); !dropped) {
      if (storage_.failure()) return fatal(storage_.failure()->message);
      return settle_defragment(Failure{StatusCode::INTERNAL, dropped.error().message});
    }
  }
  settle_defragment(std::nullopt);
}

void NodeCore::forget_abandoned_image(raft::Index index) {
  if (!image_abandoned_ || image_abandoned_->index != index) return;
  storage_.discard_snapshot_file(image_abandoned_->metadata);
  image_abandoned_.reset();
}

void NodeCore::image_failed(raft::Index index, const std::string& why) {
  if (stopped_) return;
  if (!image_wanted_ || image_wanted_->index != index) return forget_abandoned_image(index);
  logger_.warn("snapshot at index {} not taken: {}", index, why);
  storage_.discard_snapshot_file(image_wanted_->metadata);
  image_wanted_.reset();
  settle_defragment(Failure{StatusCode::INTERNAL, "snapshot not taken: " + why});
}

void NodeCore::stop(const Failure& why) {
  // Also after fatal(), which stopped the core but left its clients for this to answer.
  if (answered_stop_) return;
  answered_stop_ = true;
  fail_waiting(why);
  if (transfer_) {
    actions_.answers.push_back([d = std::move(transfer_->done), why] { d(unexpected(why)); });
    transfer_.reset();
  }
  settle_defragment(why);
  stopped_ = true;
}

NodeActions NodeCore::take_actions() {
  drive();
  NodeActions out;
  std::swap(out, actions_);
  return out;
}

// --- Rounds ---------------------------------------------------------------------------------

void NodeCore::drive() {
  // An image asked for must be taken at the index it claims: no further round applies anything
  // before the host took it (it does so before its next call). A snapshot being installed must
  // be installed before anything after it is applied.
  while (!stopped_ && !actions_.image && !snapshot_outstanding() && raw_->has_ready()) {
    start_round();
  }
  if (!stopped_) write_rounds();
  if (!stopped_ && raw_) {
    check_transfer(now_);
    update_read_barrier();
  }
}

bool NodeCore::snapshot_outstanding() const {
  return !rounds_.empty() && rounds_.back().rest.snapshot.has_value();
}

void NodeCore::start_round() {
  raft::Ready rd = raw_->ready();
  if (rd.soft_state && rd.soft_state->lead != leader_) {
    on_leader_change(leader_, rd.soft_state->lead);
  }
  for (raft::Message& m : rd.messages) actions_.messages.push_back(std::move(m));
  rd.messages.clear();
  if (faulty(options_, NodeFault::kAckBeforeDurable)) {
    for (raft::Message& m : rd.messages_after_persist) actions_.messages.push_back(std::move(m));
    rd.messages_after_persist.clear();
  }
  if (faulty(options_, NodeFault::kApplyBeforeCommit)) apply(rd.entries);
  Round round;
  // Committed entries are durable on a majority already, so they are applied (and their
  // clients answered) before this member's own write, not a whole sync later. The leader's are
  // durable here too: it counts itself toward commit only once its write completed. A snapshot
  // must be installed before anything after it is applied.
  round.applied_early = !rd.snapshot;
  if (round.applied_early) apply_ready(rd);
  round.needs_sync = rd.must_sync || rd.snapshot || !rd.entries.empty();
  if (faulty(options_, NodeFault::kLeaderCountsBeforeDurable) && rounds_.empty() &&
      round.needs_sync && raw_->raft().role() == raft::Role::kLeader && !rd.snapshot) {
    // Acknowledged now, before the write is even durable.
    raw_->advance();
    round.acknowledged_early = true;
  }
  round.rest = std::move(rd);
  rounds_.push_back(std::move(round));
}

void NodeCore::write_rounds() {
  if (syncing_) return;
  bool sync = false;
  for (Round& r : rounds_) {
    if (r.written) continue;
    const raft::Ready& rd = r.rest;
    if (r.needs_sync || rd.hard_state) {
      // A commit-only change is written but not synced: losing it in a crash costs nothing.
      if (auto written = storage_.write(rd.entries, rd.hard_state, rd.snapshot); !written) {
        return fatal(written.error().message);
      }
    }
    r.written = true;
    sync = sync || r.needs_sync;
  }
  if (sync) {
    syncing_ = ++round_;
    actions_.sync_round = round_;
  }
  finish_rounds();
}

void NodeCore::finish_rounds() {
  while (!stopped_ && !rounds_.empty() && rounds_.front().written &&
         (rounds_.front().synced || !rounds_.front().needs_sync)) {
    Round round = std::move(rounds_.front());
    rounds_.pop_front();
    finish_round(round);
  }
}

void NodeCore::finish_round(Round& round) {
  raft::Ready& rd = round.rest;
  if (rd.snapshot) {
    if (auto restored = machine_.restore(rd.snapshot->data); !restored) {
      return fatal(fmt::format("cannot install the leader's snapshot at index {}: {}",
                               rd.snapshot->metadata.index, restored.error()));
    }
    conf_state_ = rd.snapshot->metadata.conf_state;
    snapshot_index_ = applied_ = rd.snapshot->metadata.index;
    // An image of the state just replaced would claim the wrong state; its file, if the host
    // writes one, goes when the host reports the image done (or now, if it did already).
    if (image_to_commit_) {
      storage_.discard_snapshot_file(image_wanted_->metadata);
      image_wanted_.reset();
      image_to_commit_.reset();
    }
    if (image_wanted_) image_abandoned_ = std::exchange(image_wanted_, std::nullopt);
    for (NodeObserver* o : observers_) o->on_snapshot_installed(snapshot_index_);
    announce_members();
    logger_.info("installed snapshot at index {} (term {}) from the leader",
                 rd.snapshot->metadata.index, rd.snapshot->metadata.term);
  }
  for (raft::Message& m : rd.messages_after_persist) actions_.messages.push_back(std::move(m));
  if (!round.applied_early) apply_ready(rd);
  if (!round.acknowledged_early) raw_->advance();
  if (storage_.failure()) return fatal(storage_.failure()->message);
  maybe_request_image();
}

void NodeCore::apply_ready(const raft::Ready& rd) {
  apply(rd.committed_entries);
  if (rd.snapshot || !rd.committed_entries.empty()) {
    for (NodeObserver* o : observers_) o->on_applied(applied_, machine_.revision());
  }
  for (const raft::ReadState& rs : rd.read_states) {
    const uint64_t context = std::strtoull(rs.context.c_str(), nullptr, 10);
    auto it = reads_.find(context);
    if (it != reads_.end()) it->second.index = rs.index;
    if (confirming_ == context) confirming_.reset();
  }
  if (!confirming_) issue_held_reads(now_);
  answer_reads();
}

void NodeCore::apply(const std::vector<raft::Entry>& entries) {
  for (const raft::Entry& e : entries) {
    if (e.index <= applied_) continue;
    applied_ = e.index;
    for (NodeObserver* o : observers_) o->on_entry(e);
    if (e.type == raft::EntryType::kConfChange) {
      apply_conf_entry(e);
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
    if (request.has_member_change()) {
      apply_member_change(request, e.index, nullptr);
      continue;
    }
    WriteResult result = machine_.apply(request);
    if (request.has_publish() && request.publish().id() == options_.id) published_ = true;
    if (request.header().member() != options_.id) continue;
    auto node = waiters_.extract(request.header().id());
    if (node.empty()) continue;  // Timed out already, or proposed by an earlier incarnation.
    actions_.answers.push_back(
        [done = std::move(node.mapped().done), answer = to_answer(std::move(result))]() mutable {
          done(std::move(answer));
        });
  }
}

void NodeCore::answer_reads() {
  for (auto it = reads_.begin(); it != reads_.end();) {
    const bool known = it->second.index != 0;
    const bool applied = it->second.index <= applied_;
    if (!known || (!applied && !faulty(options_, NodeFault::kReadBeforeApplied))) {
      ++it;
      continue;
    }
    for (Done& d : it->second.done) actions_.answers.push_back([d = std::move(d)] { d({}); });
    it = reads_.erase(it);
  }
}

// --- Inputs ---------------------------------------------------------------------------------

void NodeCore::do_tick(Time now) {
  raw_->tick();
  if (confirming_ && now >= confirming_until_) issue_held_reads(now);
  note_active(now);
  expire(now);
  maybe_publish(now);
  for (NodeObserver* o : observers_) o->on_tick(now);
}

void NodeCore::do_propose(std::vector<std::pair<regentpb::InternalRequest, WriteDone>>& writes,
                          Time now) {
  if (writes.empty()) return;
  const raft::Index committed = raw_->raft().log().committed();
  if (committed > applied_ + options_.max_apply_lag) {
    for (auto& [request, done] : writes) {
      actions_.answers.push_back([d = std::move(done)] { d(unexpected(too_many_requests())); });
    }
    return;
  }
  refuse_beyond_quota(writes, now);
  std::vector<std::string> data;
  std::vector<uint64_t> ids;
  data.reserve(writes.size());
  ids.reserve(writes.size());
  for (auto& [request, done] : writes) {
    const uint64_t id = next_id();
    request.mutable_header()->set_id(id);
    request.mutable_header()->set_member(options_.id);
    data.push_back(request.SerializeAsString());
    ids.push_back(id);
    waiters_.emplace(id, Waiter{std::move(done), now + options_.request_timeout});
  }
  const raft::Error e = raw_->propose_batch(std::move(data));
  if (e == raft::Error::kOk) return;
  const Failure f = from_raft(e);
  for (uint64_t id : ids) {
    auto node = waiters_.extract(id);
    actions_.answers.push_back([d = std::move(node.mapped().done), f] { d(unexpected(f)); });
  }
}

void NodeCore::refuse_beyond_quota(
    std::vector<std::pair<regentpb::InternalRequest, WriteDone>>& writes, Time now) {
  if (options_.quota_bytes == 0) return;
  const uint64_t in_use = machine_.bytes_in_use();
  size_t kept = 0;
  for (size_t i = 0; i < writes.size(); ++i) {
    if (has_room(options_.quota_bytes, in_use, writes[i].first)) {
      if (kept != i) writes[kept] = std::move(writes[i]);
      ++kept;
      continue;
    }
    actions_.answers.push_back(
        [d = std::move(writes[i].second)] { d(unexpected(from_kv(kv::no_space()))); });
  }
  if (kept == writes.size()) return;
  writes.resize(kept);
  // Raised through the log, so that every member refuses the same writes from the same index;
  // proposed again after a request timeout if it did not take.
  if (machine_.alarm_raised(etcdserverpb::NOSPACE, options_.id) || now < next_space_alarm_) return;
  next_space_alarm_ = now + options_.request_timeout;
  logger_.warn("space quota exceeded: {} bytes in use, quota {}; raising a NOSPACE alarm", in_use,
               options_.quota_bytes);
  regentpb::InternalRequest alarm;
  alarm.mutable_alarm()->set_action(etcdserverpb::AlarmRequest::ACTIVATE);
  alarm.mutable_alarm()->set_memberid(options_.id);
  alarm.mutable_alarm()->set_alarm(etcdserverpb::NOSPACE);
  writes.emplace_back(std::move(alarm), [](Expected<WriteResponse, Failure>) {});
}

void NodeCore::do_read(std::vector<Done> reads, Time now) {
  if (confirming_ && now < confirming_until_) {
    if (held_reads_.empty()) held_since_ = now;
    for (Done& d : reads) held_reads_.push_back(std::move(d));
    return;
  }
  issue_read(std::move(reads), now);
}

void NodeCore::issue_held_reads(Time now) {
  if (held_reads_.empty()) return;
  std::vector<Done> reads = std::exchange(held_reads_, {});
  // The batch's deadline counts from when its oldest read arrived.
  issue_read(std::move(reads), held_since_ < now ? held_since_ : now);
}

void NodeCore::issue_read(std::vector<Done> reads, Time now) {
  const uint64_t context = next_id();
  const raft::Error e = raw_->read_index(std::to_string(context));
  if (e != raft::Error::kOk) {
    const Failure f = from_raft(e);
    for (Done& d : reads) actions_.answers.push_back([d = std::move(d), f] { d(unexpected(f)); });
    return;
  }
  reads_.emplace(context, ReadBatch{std::move(reads), now + options_.request_timeout, 0});
  confirming_ = context;
  confirming_until_ = now_ + options_.tick;
}

void NodeCore::do_transfer(Transfer t) {
  auto refuse = [&](Failure f) {
    actions_.answers.push_back([d = std::move(t.done), f] { d(unexpected(f)); });
  };
  if (transfer_) {
    return refuse(Failure{StatusCode::FAILED_PRECONDITION,
                          "etcdserver: a leader transfer is already in progress"});
  }
  if (raw_->raft().role() != raft::Role::kLeader) return refuse(not_leader());
  if (t.target == raft::kNone) t.target = best_transferee();
  if (t.target == options_.id) {
    actions_.answers.push_back([d = std::move(t.done)] { d({}); });
    return;
  }
  if (t.target == raft::kNone || !conf_state_.voters.contains(t.target)) {
    return refuse(bad_transferee());
  }
  logger_.info("transferring leadership to {:x}", t.target);
  if (raft::Error e = raw_->transfer_leader(t.target); e != raft::Error::kOk) {
    return refuse(from_raft(e));
  }
  transfer_ = std::move(t);
}

void NodeCore::check_transfer(Time now) {
  if (!transfer_) return;
  if (leader_ == transfer_->target) {
    logger_.info("transferred leadership to {:x}", transfer_->target);
    actions_.answers.push_back([d = std::move(transfer_->done)] { d({}); });
    transfer_.reset();
    return;
  }
  if (now >= transfer_->deadline) {
    actions_.answers.push_back(
        [d = std::move(transfer_->done)] { d(unexpected(transfer_timeout())); });
    transfer_.reset();
  }
}

raft::NodeId NodeCore::best_transferee() const {
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

void NodeCore::maybe_request_image() {
  // A snapshot installed from the leader, or taken since, may already cover a defragment.
  settle_defragment(std::nullopt);
  const bool defrag = !defrag_waiters_.empty();
  if ((options_.snapshot_count == 0 && !defrag) || image_wanted_ || image_abandoned_) return;
  // Also after a membership change: a member added later than the newest snapshot could not be
  // caught up with it (a snapshot whose configuration lacks the receiver is refused), and until
  // a newer one exists a follower too far behind would wait for a snapshot forever.
  const bool config_newer = config_changed_at_ > snapshot_index_;
  if (applied_ < snapshot_index_ + options_.snapshot_count && !config_newer && !defrag) return;
  if (applied_ > storage_.last_index()) return;  // Not all of it in this member's log yet.
  raft::Index claimed = applied_;
  if (faulty(options_, NodeFault::kImageAtWrongIndex) && applied_ > snapshot_index_ + 1) --claimed;
  auto metadata = storage_.snapshot_metadata(claimed, conf_state_);
  if (!metadata) {
    logger_.warn("snapshot at index {} not begun: {}", claimed, metadata.error().message);
    return;
  }
  image_wanted_ = NodeActions::Image{applied_, std::move(*metadata)};
  actions_.image = image_wanted_;
}

void NodeCore::maybe_publish(Time now) {
  if (!options_.publish || published_ || leader_ == raft::kNone || now < next_publish_) return;
  next_publish_ = now + options_.request_timeout;
  regentpb::InternalRequest request;
  *request.mutable_publish() = *options_.publish;
  std::vector<std::pair<regentpb::InternalRequest, WriteDone>> one;
  one.emplace_back(std::move(request), [](Expected<WriteResponse, Failure>) {});
  do_propose(one, now);
}

void NodeCore::on_leader_change(raft::NodeId old_leader, raft::NodeId new_leader) {
  leader_ = new_leader;
  for (NodeObserver* o : observers_) {
    o->on_leader(new_leader, new_leader == options_.id, raw_->raft().term());
  }
  if (new_leader == raft::kNone) {
    logger_.info("lost leader {:x} at term {}", old_leader, raw_->raft().term());
  } else {
    logger_.info("leader is {:x} at term {}", new_leader, raw_->raft().term());
  }
  if (new_leader != raft::kNone) awaiting_leader_after_torn_tail_ = false;
  if (old_leader == raft::kNone) return;
  // Writes and reads in flight went through the old leader: they may never be answered by the
  // new one, so their clients hear now instead of after the request timeout. A write may still
  // commit; like a timeout, "leader changed" promises nothing either way.
  fail_waiting(leader_changed());
}

void NodeCore::expire(Time now) {
  while (!waiters_.empty() && waiters_.begin()->second.deadline <= now) {
    auto node = waiters_.extract(waiters_.begin());
    actions_.answers.push_back(
        [d = std::move(node.mapped().done)] { d(unexpected(request_timeout())); });
  }
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    for (Done& d : it->second.done) {
      actions_.answers.push_back([d = std::move(d)] { d(unexpected(request_timeout())); });
    }
    it = reads_.erase(it);
  }
  if (!held_reads_.empty() && held_since_ + options_.request_timeout <= now) {
    for (Done& d : std::exchange(held_reads_, {})) {
      actions_.answers.push_back([d = std::move(d)] { d(unexpected(request_timeout())); });
    }
  }
}

void NodeCore::fail_waiting(const Failure& f) {
  for (auto& [id, w] : waiters_) {
    actions_.answers.push_back([d = std::move(w.done), f] { d(unexpected(f)); });
  }
  waiters_.clear();
  for (auto& [context, batch] : reads_) {
    for (Done& d : batch.done)
      actions_.answers.push_back([d = std::move(d), f] { d(unexpected(f)); });
  }
  reads_.clear();
  for (Done& d : held_reads_) {
    actions_.answers.push_back([d = std::move(d), f] { d(unexpected(f)); });
  }
  held_reads_.clear();
  confirming_.reset();
}

void NodeCore::fatal(std::string message) {
  logger_.error("{}", message);
  if (!actions_.fatal) actions_.fatal = std::move(message);
  stopped_ = true;
}

// --- Status ---------------------------------------------------------------------------------

void NodeCore::update_read_barrier() {
  const raft::Raft& r = raw_->raft();
  // Reads stay refused past the core's catch-up until the store has applied that far too.
  read_barrier_ = std::max(read_barrier_, r.catching_up_to());
  if (r.catching_up_to() == 0 && applied_ >= read_barrier_) read_barrier_ = 0;
  // The leader's message that set lead() was stepped before this: a loss it revealed is in
  // read_barrier_ already, so the two refusals hand over with no gap.
  if (r.lead() != raft::kNone) awaiting_leader_after_torn_tail_ = false;
}

std::optional<Failure> NodeCore::read_refusal() const {
  if (awaiting_leader_after_torn_tail_) return awaiting_leader_after_torn_tail();
  // This member's state was found to differ from the others' (alarm_set.h): what it would read
  // may be wrong.
  if (machine_.alarm_raised(etcdserverpb::CORRUPT, options_.id)) return from_kv(kv::corrupt());
  if (read_barrier_ == 0) return std::nullopt;
  return catching_up(raw_->raft().log().last_index(), read_barrier_);
}

NodeStatus NodeCore::status() const {
  const raft::Raft& r = raw_->raft();
  NodeStatus s;
  s.id = options_.id;
  s.leader = r.lead();
  s.term = r.term();
  s.last_index = r.log().last_index();
  s.commit = r.log().committed();
  s.applied = applied_;
  s.is_leader = r.role() == raft::Role::kLeader;
  s.reserved_disk_bytes = storage_.reserved_bytes();
  if (storage_.failure()) s.errors.push_back(storage_.failure()->message);
  if (auto refused = read_refusal()) s.errors.push_back(refused->message);
  if (s.is_leader) {
    const auto& tracker = r.tracker();
    for (const auto& [id, pr] : tracker.progress) {
      if (id == options_.id) continue;
      s.followers.push_back(NodeStatus::Follower{.id = id,
                                                 .match = pr.match,
                                                 .learner = tracker.config.learners.contains(id),
                                                 .recently_active = pr.recent_active,
                                                 .state = to_string(pr.state)});
    }
  }
  return s;
}

void NodeCore::check_invariants() const {
  const raft::Raft& r = raw_->raft();
  r.check_invariants();
  REGENT_ASSERT(applied_ <= r.log().committed(), "node {:x}: applied {} > commit {}", options_.id,
                applied_, r.log().committed());
  REGENT_ASSERT(image_wanted_.has_value() || !actions_.image,
                "node {:x}: an image asked for and forgotten", options_.id);
  REGENT_ASSERT(!syncing_ || (!rounds_.empty() && rounds_.front().written),
                "node {:x}: a sync outstanding with no round written", options_.id);
  size_t early = 0;
  for (const Round& round : rounds_) early += round.acknowledged_early ? 1 : 0;
  REGENT_ASSERT(raw_->outstanding() + early == rounds_.size(),
                "node {:x}: {} rounds, the Raft core awaits {}", options_.id, rounds_.size(),
                raw_->outstanding());
  if (rounds_.empty() && !stopped_) {
    const raft::HardState durable = storage_.initial_state().first;
    REGENT_ASSERT(durable.term == r.term() && durable.vote == r.hard_state().vote,
                  "node {:x}: storage holds term {} vote {:x}, the core term {} vote {:x}",
                  options_.id, durable.term, durable.vote, r.term(), r.hard_state().vote);
  }
}

}  // namespace regent::server
