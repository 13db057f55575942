#include "sim/algos/compare.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <ranges>

#include "common/assert.h"

namespace regent::sim::algos {
namespace {

std::string ms_or_dash(std::optional<double> ms) {
  return ms ? fmt::format("{:.0f}", *ms) : std::string("-");
}

double ms(Micros us) { return static_cast<double>(us) / 1e3; }

}  // namespace

void Summary::add(const RunResult& r) {
  REGENT_ASSERT(r.algorithm == algorithm, "a {} run in the {} row", to_string(r.algorithm),
                to_string(algorithm));
  ++seeds;
  split_brain_us += r.split_brain_us;
  seeds_with_split_brain += r.split_brain_us > 0 ? 1 : 0;
  max_acting = std::max(max_acting, r.max_acting);
  stale_leader_us += r.stale_leader_us;
  failovers.insert(failovers.end(), r.failovers.begin(), r.failovers.end());
  elections += r.elections;
  election_messages += r.election_messages;
  heals.insert(heals.end(), r.heals.begin(), r.heals.end());
  writes += r.writes;
  acked += r.acked;
  acked_lost += r.acked_lost;
  seeds_with_loss += r.acked_lost > 0 ? 1 : 0;
  unsettled += r.agreed_at_end ? 0 : 1;
}

RunResult run_seed(Algorithm a, uint64_t seed, size_t members, ElectionWorld::Narrator narrator) {
  ElectionWorld world(a, WorldOptions::from_seed(seed, members), std::move(narrator));
  return world.run();
}

Summary run_seeds(Algorithm a, uint64_t first, uint64_t last, size_t members) {
  REGENT_ASSERT(first <= last, "seeds {}..{}", first, last);
  Summary s{.algorithm = a};
  for (uint64_t seed = first; seed <= last; ++seed) s.add(run_seed(a, seed, members));
  return s;
}

std::optional<double> percentile_ms(std::vector<Micros> samples, double p) {
  if (samples.empty()) return std::nullopt;
  std::ranges::sort(samples);
  const auto at = static_cast<size_t>(p * static_cast<double>(samples.size() - 1));
  return ms(samples[at]);
}

std::string format_table(const std::vector<Summary>& rows) {
  std::string out = fmt::format(
      "{:<9} {:>5} {:>14} {:>11} {:>12} {:>12} {:>21} {:>11} {:>12} {:>17} {:>15} {:>9}\n",
      "algorithm", "seeds", "split_brain_ms", "split_seeds", "max_leaders", "elect_ms_p50",
      "messages_per_election", "heal_ms_p50", "acked_writes", "acked_writes_lost",
      "stale_leader_ms", "unsettled");
  for (const Summary& s : rows) {
    const std::string per_election =
        s.elections == 0 ? "-"
                         : fmt::format("{:.1f}", static_cast<double>(s.election_messages) /
                                                     static_cast<double>(s.elections));
    out += fmt::format(
        "{:<9} {:>5} {:>14.0f} {:>11} {:>12} {:>12} {:>21} {:>11} {:>12} {:>17} {:>15.0f} {:>9}\n",
        to_string(s.algorithm), s.seeds, ms(s.split_brain_us), s.seeds_with_split_brain,
        s.max_acting, ms_or_dash(percentile_ms(s.failovers, 0.5)), per_election,
        ms_or_dash(percentile_ms(s.heals, 0.5)), s.acked, s.acked_lost, ms(s.stale_leader_us),
        s.unsettled);
  }
  return out;
}

std::string describe(const RunResult& r) {
  std::string out = fmt::format(
      "{} seed={}: split brain {:.1f} ms (at most {} acting leaders{}), {} elections with {} "
      "election messages ({} messages in all), leader crashes recovered in [{}] ms, heals "
      "settled in [{}] ms, {} writes, {} acknowledged, {} acknowledged and lost, {}\n",
      to_string(r.algorithm), r.seed, ms(r.split_brain_us), r.max_acting,
      r.first_split_brain_at ? fmt::format(", first at {:.3f} ms", ms(*r.first_split_brain_at))
                             : "",
      r.elections, r.election_messages, r.messages,
      fmt::join(r.failovers | std::views::transform(ms), ", "),
      fmt::join(r.heals | std::views::transform(ms), ", "), r.writes, r.acked, r.acked_lost,
      r.agreed_at_end ? "one leader followed by all at the end" : "no single leader at the end");
  for (const std::string& lost : r.lost) out += fmt::format("  lost: {}\n", lost);
  return out;
}

}  // namespace regent::sim::algos
