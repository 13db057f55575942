#include "sim/algos/scorecard.h"

#include <fmt/format.h>

#include <unordered_set>

#include "common/assert.h"

namespace regent::sim::algos {
namespace {

// How many lost writes a result describes one by one (the count covers them all).
constexpr size_t kLostDescribed = 5;

}  // namespace

Scorecard::Scorecard(Algorithm a, uint64_t seed, Micros stable_us) : stable_us_(stable_us) {
  result_.algorithm = a;
  result_.seed = seed;
}

void Scorecard::advance(Micros now) {
  REGENT_ASSERT(now >= last_, "time went back from {} to {}", last_, now);
  if (acting_ > 1) result_.split_brain_us += now - last_;
  if (believers_ > 1) result_.stale_leader_us += now - last_;
  last_ = now;
}

Scorecard::Onsets Scorecard::observe(Micros now, const Moment& moment) {
  const Onsets onsets{.split_brain = acting_ <= 1 && moment.acting.size() > 1,
                      .two_believers = believers_ <= 1 && moment.believers.size() > 1};
  acting_ = moment.acting.size();
  believers_ = moment.believers.size();
  result_.max_acting = std::max(result_.max_acting, acting_);
  if (onsets.split_brain && !result_.first_split_brain_at) result_.first_split_brain_at = now;
  for (const auto& b : moment.believers) {
    if (!prev_believers_.contains(b)) ++result_.elections;
  }
  prev_believers_ = moment.believers;
  if (failover_from_ && acting_ == 1) {
    result_.failovers.push_back(now - *failover_from_);
    failover_from_.reset();
  }
  if (!moment.agreed) {
    agreed_since_.reset();
  } else if (!agreed_since_) {
    agreed_since_ = now;
  }
  if (heal_from_ && agreed_since_ && now - *agreed_since_ >= stable_us_) {
    result_.heals.push_back(*agreed_since_ > *heal_from_ ? *agreed_since_ - *heal_from_ : 0);
    heal_from_.reset();
  }
  return onsets;
}

void Scorecard::leader_crashed(Micros now) {
  // Measured from the first crash only, if another lands before a leader is back.
  if (!failover_from_) failover_from_ = now;
}

void Scorecard::message_sent(const Envelope& e) {
  ++result_.messages;
  if (e.election) ++result_.election_messages;
}

void Scorecard::acknowledged(uint64_t write_id, MemberId by, Micros now) {
  const bool first = acks_.emplace(write_id, std::make_pair(by, now)).second;
  REGENT_ASSERT(first, "write {} acknowledged twice", write_id);
  ++result_.acked;
}

RunResult Scorecard::finish(const std::vector<uint64_t>& final_history) {
  const std::unordered_set<uint64_t> kept(final_history.begin(), final_history.end());
  for (const auto& [write_id, who] : acks_) {
    if (kept.contains(write_id)) continue;
    ++result_.acked_lost;
    if (result_.lost.size() < kLostDescribed) {
      result_.lost.push_back(fmt::format("write {} acknowledged by member {} at {:.3f} ms",
                                         write_id, who.first,
                                         static_cast<double>(who.second) / 1e3));
    }
  }
  result_.agreed_at_end = agreed_since_.has_value();
  // An agreement that began after the last heal and held to the end counts, however short.
  if (heal_from_ && agreed_since_) {
    result_.heals.push_back(*agreed_since_ > *heal_from_ ? *agreed_since_ - *heal_from_ : 0);
  }
  return result_;
}

}  // namespace regent::sim::algos
