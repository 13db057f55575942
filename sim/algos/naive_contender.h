// Bully or Ring with a register replicated the naive way these algorithms are used: the leader
// writes, acknowledges at once, and copies its whole register to its followers; a follower
// adopts whatever the member it takes for its leader sends. Nothing checks that a new leader's
// register holds what the previous one acknowledged, which is how a write is lost.
//
// Invariants: only a member that believes it leads takes writes (asserted) or sends copies; a
// follower adopts a copy only from the member it takes for its leader.
#pragma once

#include <concepts>
#include <utility>
#include <vector>

#include "common/assert.h"
#include "sim/algos/contender.h"

namespace regent::sim::algos {

// The shape Bully and Ring share with the Raft core (ticks and messages in, messages and a
// leader view out), which is what lets one contender drive either; their headers declare it
// each for its own messages.
template <class Core, class CoreMessage>
concept ElectionCore = requires(Core core, const Core& view, const CoreMessage& m) {
  core.start_election();
  core.tick();
  core.step(m);
  { core.take_messages() } -> std::same_as<std::vector<CoreMessage>>;
  { view.leader() } -> std::same_as<MemberId>;
  { view.is_leader() } -> std::same_as<bool>;
  view.check_invariants();
  { counts_as_election(m) } -> std::same_as<bool>;
};

template <class Core, class CoreConfig, class CoreMessage>
requires ElectionCore<Core, CoreMessage>
class NaiveContender final : public Contender {
 public:
  // A leader resends its register this often, so followers that lost a copy catch up.
  static constexpr int kRefreshTicks = 10;

  explicit NaiveContender(CoreConfig config) : config_(std::move(config)), core_(config_) {
    core_.start_election();
    collect();
  }

  void tick() override {
    core_.tick();
    if (core_.is_leader() && ++since_copy_ >= kRefreshTicks) send_copies();
    collect();
  }

  void receive(const Envelope& e) override {
    if (const auto* m = std::get_if<CoreMessage>(&e.payload)) {
      core_.step(*m);
      collect();
    } else if (const auto* copy = std::get_if<RegisterCopy>(&e.payload)) {
      if (!core_.is_leader() && e.from == core_.leader()) history_ = copy->history;
    }
  }

  std::vector<Envelope> take_outbox() override { return std::exchange(outbox_, {}); }

  void crash() override {
    outbox_.clear();
    acks_.clear();
  }

  void restart() override {
    core_ = Core(config_);
    since_copy_ = 0;
    core_.start_election();
    collect();
  }

  bool believes_leader() const override { return core_.is_leader(); }
  MemberId leader_view() const override { return core_.leader(); }
  std::optional<uint64_t> quorum_term() const override { return std::nullopt; }

  void write(uint64_t write_id) override {
    REGENT_ASSERT(core_.is_leader(), "member {} takes a write without leading", config_.group.id);
    history_.push_back(write_id);
    send_copies();
    // Acknowledged once written here and sent on: the followers' copies are not waited for.
    acks_.push_back(write_id);
  }

  std::vector<uint64_t> take_acks() override { return std::exchange(acks_, {}); }
  const std::vector<uint64_t>& history() const override { return history_; }

 private:
  void send_copies() {
    since_copy_ = 0;
    for (MemberId m : config_.group.members) {
      if (m != config_.group.id) {
        Envelope& e = outbox_.emplace_back();
        e.from = config_.group.id;
        e.to = m;
        e.payload.template emplace<RegisterCopy>(RegisterCopy{history_});
      }
    }
  }

  void collect() {
    core_.check_invariants();
    for (CoreMessage& m : core_.take_messages()) {
      Envelope& e = outbox_.emplace_back();
      e.from = config_.group.id;
      e.to = m.to;
      e.election = counts_as_election(m);
      e.payload.template emplace<CoreMessage>(m);
    }
  }

  CoreConfig config_;
  Core core_;
  std::vector<uint64_t> history_;  // Survives crashes: it stands for the member's disk.
  int since_copy_ = 0;
  std::vector<uint64_t> acks_;
  std::vector<Envelope> outbox_;
};

}  // namespace regent::sim::algos
