#include "sim/algos/election_world.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/assert.h"

namespace regent::sim::algos {

ElectionWorld::ElectionWorld(Algorithm algorithm, const WorldOptions& options, Narrator narrator)
    : algorithm_(algorithm),
      options_(options),
      narrator_(std::move(narrator)),
      fault_prng_(options.seed ^ 0xfa17ULL),
      net_prng_(options.seed ^ 0x4e7ULL),
      client_prng_(options.seed ^ 0xc11eULL),
      // An agreement is stable once it has held for an election timeout.
      card_(algorithm, options.seed,
            static_cast<Micros>(options.timing.election_ticks) * options.tick_us) {
  REGENT_ASSERT(options_.members >= 1 && options_.members <= 9, "{} members", options_.members);
  for (MemberId id = 1; id <= options_.members; ++id) ids_.push_back(id);
  for (MemberId id : ids_) {
    Node n;
    n.contender = make_contender(algorithm_, id, ids_, options_.timing, options_.seed);
    // The clock's rate, drawn from the fault stream so every algorithm gets the same clocks.
    const auto skew = static_cast<int64_t>(fault_prng_.between(0, 2 * options_.max_skew_percent)) -
                      static_cast<int64_t>(options_.max_skew_percent);
    n.tick_period_us = options_.tick_us * static_cast<Micros>(100 + skew) / 100;
    nodes_.emplace(id, std::move(n));
  }
  for (MemberId id : ids_) {
    schedule(fault_prng_.between(0, nodes_.at(id).tick_period_us), {.member = id});
  }
  schedule(options_.nemesis_interval_us, {.kind = EventKind::kNemesis});
  schedule(options_.write_min_us, {.kind = EventKind::kWrite});
  schedule(options_.fault_phase_us, {.kind = EventKind::kStopFaults});
}

void ElectionWorld::schedule(Micros at, Event e) {
  REGENT_ASSERT(at >= now_, "event scheduled in the past");
  queue_.emplace(std::make_pair(at, next_seq_++), std::move(e));
}

RunResult ElectionWorld::run() {
  for (MemberId id : ids_) flush(id);  // What the members said on starting up.
  const Micros end = options_.fault_phase_us + options_.settle_us;
  uint64_t events = 0;
  while (!queue_.empty() && queue_.begin()->first.first <= end) {
    REGENT_ASSERT(++events <= kMaxEvents, "seed {}: more than {} events", options_.seed,
                  kMaxEvents);
    auto node = queue_.extract(queue_.begin());
    now_ = node.key().first;
    card_.advance(now_);
    handle(node.mapped());
    const Moment now_seen = moment();
    const auto onsets = card_.observe(now_, now_seen);
    if (onsets.split_brain) {
      narrate(fmt::format("split brain: {} members act as leader ({})", now_seen.acting.size(),
                          describe_views()));
    } else if (onsets.two_believers) {
      narrate(fmt::format("{} members believe they lead, {} acts ({})", now_seen.believers.size(),
                          now_seen.acting.size(), describe_views()));
    }
  }
  card_.advance(end);
  narrate(fmt::format("end: {}", describe_views()));
  // The final register is the one the last leader holds; without agreement, the longest one
  // any member holds (the result says there was no agreement).
  std::vector<uint64_t> final_history;
  if (auto leader = sole_acting_leader(); leader && moment().agreed) {
    final_history = nodes_.at(*leader).contender->history();
  } else {
    for (const auto& [id, n] : nodes_) {
      if (n.contender->history().size() > final_history.size()) {
        final_history = n.contender->history();
      }
    }
  }
  return card_.finish(final_history);
}

void ElectionWorld::handle(Event& e) {
  switch (e.kind) {
    case EventKind::kTick:
      on_tick(e);
      return;
    case EventKind::kDeliver:
      on_deliver(e);
      return;
    case EventKind::kNemesis:
      on_nemesis();
      if (faults_on_) schedule(now_ + options_.nemesis_interval_us, {.kind = EventKind::kNemesis});
      return;
    case EventKind::kWrite:
      on_write();
      schedule(now_ + client_prng_.between(options_.write_min_us, options_.write_max_us),
               {.kind = EventKind::kWrite});
      return;
    case EventKind::kResume:
      return;  // Nothing to do but measure: a paused leader acts again from now.
    case EventKind::kStopFaults:
      stop_faults();
      return;
  }
}

void ElectionWorld::on_tick(const Event& e) {
  Node& n = nodes_.at(e.member);
  if (!n.up || e.incarnation != n.incarnation) return;  // The tick chain of a crashed process.
  // A paused member's timers stand still: its next tick comes a period after it resumes.
  if (n.paused_until > now_) {
    schedule(n.paused_until + n.tick_period_us, e);
    return;
  }
  n.contender->tick();
  flush(e.member);
  schedule(now_ + n.tick_period_us, e);
}

void ElectionWorld::on_deliver(Event& e) {
  Envelope& env = *e.envelope;
  Node& n = nodes_.at(env.to);
  if (!n.up || !link_open(env.from, env.to)) return;
  if (n.paused_until > now_) {
    schedule(n.paused_until, std::move(e));  // Waits in the socket until the member runs again.
    return;
  }
  n.contender->receive(env);
  flush(env.to);
}

void ElectionWorld::on_write() {
  std::vector<MemberId> believers;
  for (MemberId id : ids_) {
    if (available(id) && nodes_.at(id).contender->believes_leader()) believers.push_back(id);
  }
  // Drawn whether or not anyone takes the write, so the client stream stays aligned.
  const uint64_t draw = client_prng_.next();
  if (believers.empty()) return;
  const MemberId target = believers[draw % believers.size()];
  card_.write_given();
  nodes_.at(target).contender->write(next_write_id_++);
  flush(target);
}

void ElectionWorld::flush(MemberId id) {
  Node& n = nodes_.at(id);
  for (uint64_t write_id : n.contender->take_acks()) card_.acknowledged(write_id, id, now_);
  for (Envelope& env : n.contender->take_outbox()) {
    card_.message_sent(env);
    REGENT_ASSERT(env.from == id && env.to != id && nodes_.contains(env.to),
                  "member {} sent from {} to {}", id, env.from, env.to);
    if (net_prng_.uniform(100) < options_.loss_percent) continue;
    const Micros delay = net_prng_.between(options_.delay_min_us, options_.delay_max_us);
    schedule(now_ + delay, {.kind = EventKind::kDeliver, .envelope = std::move(env)});
  }
}

bool ElectionWorld::available(MemberId id) const {
  const Node& n = nodes_.at(id);
  return n.up && n.paused_until <= now_;
}

bool ElectionWorld::link_open(MemberId from, MemberId to) const {
  return !cut_.contains({from, to});
}

bool ElectionWorld::acting(MemberId id) const {
  const Node& n = nodes_.at(id);
  if (!available(id) || !n.contender->believes_leader()) return false;
  const auto term = n.contender->quorum_term();
  if (!term) return true;  // It acknowledges writes on its own authority.
  size_t reachable = 0;
  for (MemberId m : ids_) {
    const bool linked = m == id || (link_open(id, m) && link_open(m, id));
    if (linked && available(m) && nodes_.at(m).contender->quorum_term() == term) ++reachable;
  }
  return reachable >= ids_.size() / 2 + 1;
}

Moment ElectionWorld::moment() const {
  Moment m;
  for (MemberId id : ids_) {
    const Node& n = nodes_.at(id);
    if (!n.up) continue;
    if (n.contender->believes_leader()) {
      m.believers.emplace(id, n.contender->quorum_term().value_or(0));
    }
    if (acting(id)) m.acting.push_back(id);
  }
  if (m.acting.size() == 1) {
    m.agreed = std::ranges::all_of(ids_, [&](MemberId id) {
      return !available(id) || nodes_.at(id).contender->leader_view() == m.acting[0];
    });
  }
  return m;
}

std::optional<MemberId> ElectionWorld::sole_acting_leader() const {
  std::optional<MemberId> leader;
  for (MemberId id : ids_) {
    if (!acting(id)) continue;
    if (leader) return std::nullopt;
    leader = id;
  }
  return leader;
}

void ElectionWorld::narrate(const std::string& what) const {
  if (narrator_)
    narrator_(fmt::format("t={:.3f}ms {}: {}", static_cast<double>(now_) / 1e3,
                          to_string(algorithm_), what));
}

std::string ElectionWorld::describe_views() const {
  std::string out;
  for (MemberId id : ids_) {
    const Node& n = nodes_.at(id);
    if (!out.empty()) out += ", ";
    if (!n.up) {
      out += fmt::format("{} down", id);
      continue;
    }
    const MemberId view = n.contender->leader_view();
    if (n.contender->believes_leader()) {
      // Why a member that believes it leads does not act: it is paused, or (Raft) it has no
      // reachable majority in its term, so none of its writes can be acknowledged.
      out += fmt::format("{} {}", id,
                         acting(id)              ? "leads"
                         : n.paused_until > now_ ? "believes it leads"
                                                 : "believes it leads (no majority in its term)");
    } else if (view == kNoMember) {
      out += fmt::format("{} knows no leader", id);
    } else {
      out += fmt::format("{} follows {}", id, view);
    }
    if (n.paused_until > now_) out += " (paused)";
  }
  return out;
}

}  // namespace regent::sim::algos
