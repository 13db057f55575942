#include "server/lease/lessor.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace regent::server {

namespace {

using std::chrono::seconds;

// How often the checkpoint rule is evaluated; also how stale a renewed lease's checkpoint may
// stay before it is corrected.
constexpr std::chrono::seconds kCheckpointScan{1};
// etcd's bounds on lease work per round: revokes proposed per tick, checkpoints per entry.
constexpr size_t kMaxRevokesPerTick = 500;
constexpr size_t kMaxCheckpointsPerEntry = 1000;

// Whole seconds, rounded up: what a checkpoint records (etcd rounds up too), so that a lease is
// never recorded as having less time than it has.
int64_t ceil_seconds(Lessor::Clock::duration d) { return std::chrono::ceil<seconds>(d).count(); }

struct LeaseInfo {
  int64_t ttl = 0;
  int64_t checkpointed = 0;
  std::vector<std::string> keys;
};

std::optional<LeaseInfo> lookup(const StateMachine& machine, int64_t id, bool with_keys) {
  return machine.read([&](const kv::Store& s) -> std::optional<LeaseInfo> {
    const kv::Lease* l = s.leases().find(id);
    if (l == nullptr) return std::nullopt;
    LeaseInfo info{.ttl = l->ttl, .checkpointed = l->remaining_ttl};
    if (with_keys) info.keys.assign(l->keys.begin(), l->keys.end());
    return info;
  });
}

}  // namespace

Lessor::Lessor(const LessorOptions& options, const StateMachine& machine, Propose propose)
    : options_(options), machine_(machine), propose_(std::move(propose)) {}

bool Lessor::leading() const {
  std::lock_guard lock(mu_);
  return leading_;
}

Lessor::Held Lessor::first_seen(int64_t ttl, int64_t checkpointed, Clock::time_point now) const {
  const auto left = seconds(checkpointed > 0 ? std::min(checkpointed, ttl) : ttl);
  const auto grace = promoting_ ? Clock::duration(options_.election_timeout) : Clock::duration{};
  return Held{
      .deadline = now + left + grace, .ttl = ttl, .checkpointed = checkpointed, .grace = grace};
}

Expected<int64_t, Failure> Lessor::renew(int64_t id, Clock::time_point now) {
  const std::optional<LeaseInfo> info = lookup(machine_, id, false);
  std::lock_guard lock(mu_);
  if (!leading_) return unexpected(not_leader());
  if (!info) return 0;
  auto [it, added] =
      held_.try_emplace(id, Held{.ttl = info->ttl, .checkpointed = info->checkpointed});
  Held& held = it->second;
  if (!added && held.deadline <= now) return 0;  // Expired: its revoke is proposed or will be.
  held.deadline = now + seconds(info->ttl);
  held.grace = {};
  return info->ttl;
}

Expected<Lessor::TimeToLive, Failure> Lessor::time_to_live(int64_t id, bool with_keys,
                                                           Clock::time_point now) {
  std::optional<LeaseInfo> info = lookup(machine_, id, with_keys);
  std::lock_guard lock(mu_);
  if (!leading_) return unexpected(not_leader());
  if (!info) return TimeToLive{};
  auto it = held_.find(id);
  const Clock::time_point deadline = it != held_.end()
                                         ? it->second.deadline
                                         : first_seen(info->ttl, info->checkpointed, now).deadline;
  // etcd truncates the remaining time to whole seconds; an expired lease awaiting its revoke
  // shows 0.
  const int64_t left = std::chrono::duration_cast<seconds>(deadline - now).count();
  return TimeToLive{
      .ttl = std::max<int64_t>(left, 0), .granted_ttl = info->ttl, .keys = std::move(info->keys)};
}

uint64_t Lessor::add_stream(bool needs_leader, EndStream end) {
  std::lock_guard lock(streams_mu_);
  streams_.emplace(++last_token_, Stream{needs_leader, std::move(end)});
  return last_token_;
}

void Lessor::remove_stream(uint64_t token) {
  std::lock_guard lock(streams_mu_);
  streams_.erase(token);
}

void Lessor::end_streams(const Failure& why) {
  // A stream's end only asks gRPC to finish it; its OnDone, which removes it, runs later on
  // gRPC's own thread, never inside this loop.
  std::lock_guard lock(streams_mu_);
  for (auto& [token, stream] : streams_) stream.end(why);
}

void Lessor::on_leader(raft::NodeId leader, bool is_self, raft::Term /*term*/) {
  {
    std::lock_guard lock(mu_);
    leading_ = is_self;
    promoting_ = is_self;
    held_.clear();
    next_checkpoint_scan_ = {};
  }
  if (leader != raft::kNone) return;
  std::lock_guard lock(streams_mu_);
  for (auto& [token, stream] : streams_) {
    if (stream.needs_leader) stream.end(no_leader());
  }
}

void Lessor::on_tick(Clock::time_point now) {
  std::vector<regentpb::InternalRequest> proposals;
  machine_.read([&](const kv::Store& s) {
    std::lock_guard lock(mu_);
    if (!leading_) return;
    sync(s.leases(), now);
    collect_revokes(now, proposals);
    if (options_.checkpoint_interval.count() > 0 && now >= next_checkpoint_scan_) {
      next_checkpoint_scan_ = now + kCheckpointScan;
      collect_checkpoints(now, proposals);
    }
  });
  for (regentpb::InternalRequest& p : proposals) propose_(std::move(p));
}

void Lessor::sync(const kv::LeaseTable& leases, Clock::time_point now) {
  // Both maps are in ID order: one merge pass.
  auto h = held_.begin();
  for (const auto& [id, lease] : leases.all()) {
    while (h != held_.end() && h->first < id) h = held_.erase(h);  // Revoked.
    if (h == held_.end() || h->first != id) {
      h = held_.emplace_hint(h, id, first_seen(lease.ttl, lease.remaining_ttl, now));
    }
    h->second.ttl = lease.ttl;
    h->second.checkpointed = lease.remaining_ttl;
    ++h;
  }
  held_.erase(h, held_.end());
  promoting_ = false;
}

void Lessor::collect_revokes(Clock::time_point now, std::vector<regentpb::InternalRequest>& out) {
  size_t proposed = 0;
  for (auto& [id, held] : held_) {
    if (held.deadline > now) continue;
    if (held.revoke_sent != Clock::time_point{} && now - held.revoke_sent < options_.revoke_retry) {
      continue;
    }
    if (proposed++ == kMaxRevokesPerTick) break;  // The rest on the next ticks.
    held.revoke_sent = now;
    regentpb::InternalRequest r;
    r.mutable_lease_revoke()->set_id(id);
    out.push_back(std::move(r));
  }
}

void Lessor::collect_checkpoints(Clock::time_point now,
                                 std::vector<regentpb::InternalRequest>& out) {
  const int64_t interval = ceil_seconds(options_.checkpoint_interval);
  regentpb::InternalRequest batch;
  for (const auto& [id, held] : held_) {
    if (held.deadline <= now) continue;
    // What is left without the grace (a new leader adds its own), at least a second while the
    // lease lives (0 would mean the full TTL).
    const int64_t left = std::max<int64_t>(ceil_seconds(held.deadline - held.grace - now), 1);
    // What a new leader would assume, less what is left: positive while the lease runs down
    // unrenewed, negative once it was renewed after its last checkpoint.
    const int64_t drift = (held.checkpointed > 0 ? held.checkpointed : held.ttl) - left;
    if (drift >= 0 && drift < interval) continue;
    const int64_t record = left >= held.ttl ? 0 : left;  // 0: the full TTL again.
    etcdserverpb::LeaseCheckpoint* c = batch.mutable_lease_checkpoint()->add_checkpoints();
    c->set_id(id);
    c->set_remaining_ttl(record);
    if (static_cast<size_t>(batch.lease_checkpoint().checkpoints_size()) ==
        kMaxCheckpointsPerEntry) {
      out.push_back(std::move(batch));
      batch.Clear();
    }
  }
  if (batch.has_lease_checkpoint()) out.push_back(std::move(batch));
}

}  // namespace regent::server
