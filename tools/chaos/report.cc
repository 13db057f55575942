#include "report.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>

namespace regent::chaos {

namespace {
// A run that loses thousands of writes would bury the report; the count says how many there are.
constexpr size_t kViolationsShown = 20;
}  // namespace

std::string last_line(const RunSummary& s) {
  return fmt::format("{} operations, {} violations, {} acknowledged writes lost", s.operations,
                     s.violations, s.acknowledged_lost);
}

RunSummary write_report(const Options& options, const std::string& command,
                        const std::vector<FaultEvent>& schedule, const OpLog& log,
                        const std::vector<CheckResult>& checks,
                        const std::vector<std::string>& notes, const std::string& timeline) {
  RunSummary s;
  s.operations = log.total();
  std::string out;
  out += fmt::format("regent-chaos report\ncommand: {}\nseed: {}\nserver: {}\nmembers: {}\n",
                     command, options.seed, options.server, options.members);
  out += fmt::format("time: {} s; workers: {}\n\nnemesis schedule ({} faults):\n", options.seconds,
                     options.workers, schedule.size());
  for (const auto& f : schedule) {
    out += fmt::format("  [{:7.1f}s - {:7.1f}s] {} {}\n", f.start_us / 1e6, f.end_us / 1e6, f.kind,
                       f.detail);
  }
  out += "\noperations by outcome:\n";
  for (const auto& [workload, by] : log.counts()) {
    uint64_t total = 0;
    for (const auto& [o, n] : by) total += n;
    out += fmt::format("  {:<10} {:>8} total", workload, total);
    for (Outcome o : {Outcome::kOk, Outcome::kFailed, Outcome::kUnknown}) {
      out += fmt::format(", {} {}", to_string(o), by.count(o) ? by.at(o) : 0);
    }
    out += "\n";
  }
  // One line per workload, for scripts (scripts/chaos-matrix.sh builds docs/RELIABILITY.md's
  // table from them): operations, ok, failed, unknown, violations, acknowledged writes lost.
  out += "\nper workload (operations ok failed unknown violations lost):\n";
  const auto counts = log.counts();
  for (const auto& c : checks) {
    uint64_t v = 0, ops = 0;
    for (const auto& x : c.violations) v += x.lost_write ? 0 : 1;
    std::map<Outcome, uint64_t> by;
    if (auto it = counts.find(c.workload); it != counts.end()) by = it->second;
    for (const auto& [o, n] : by) ops += n;
    out += fmt::format("  result {} {} {} {} {} {} {}\n", c.workload, ops, by[Outcome::kOk],
                       by[Outcome::kFailed], by[Outcome::kUnknown], v, c.acknowledged_lost);
  }
  // Why operations failed, most frequent first: tells a fault's effect from a bug's.
  std::vector<std::pair<uint64_t, std::string>> errors;
  for (const auto& [what, n] : log.errors()) errors.emplace_back(n, what);
  std::sort(errors.rbegin(), errors.rend());
  if (!errors.empty()) out += "\nmost frequent errors:\n";
  for (size_t i = 0; i < errors.size() && i < 12; ++i) {
    out += fmt::format("  {:>7} {}\n", errors[i].first, errors[i].second);
  }
  size_t shown = 0;
  for (const auto& c : checks) {
    for (const auto& v : c.violations) s.violations += v.lost_write ? 0 : 1;
    s.acknowledged_lost += c.acknowledged_lost;
  }
  out += fmt::format("\nviolations: {}, acknowledged writes lost: {}\n", s.violations,
                     s.acknowledged_lost);
  for (const auto& c : checks) {
    for (const auto& v : c.violations) {
      if (!v.shown || shown++ >= kViolationsShown) continue;
      out += fmt::format("  [{}] {}\n", v.workload, v.what);
      for (const auto& line : v.history) out += "      " + line + "\n";
    }
  }
  const uint64_t listed = std::min<uint64_t>(shown, kViolationsShown);
  uint64_t all = 0;
  for (const auto& c : checks) all += c.violations.size();
  if (all > listed) out += fmt::format("  ... and {} more (counted, not shown)\n", all - listed);
  std::vector<std::string> all_notes = notes;
  for (const auto& c : checks) all_notes.insert(all_notes.end(), c.notes.begin(), c.notes.end());
  if (!all_notes.empty()) out += "\nnotes:\n";
  for (const auto& n : all_notes) out += "  " + n + "\n";
  if (!timeline.empty()) out += "\ntimeline: " + timeline + "\n";
  fmt::print("\n{}", out);  // main() prints the last line, once the verdict is known.
  out += "\n" + last_line(s) + "\n";
  std::ofstream(options.dir + "/report.txt") << out;
  std::fflush(stdout);
  return s;
}

}  // namespace regent::chaos
