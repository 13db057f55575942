#include "loadgen/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "common/json.h"

namespace regent::loadgen {

namespace {

double ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

LatencySummary summarize(const Histogram& h) {
  return LatencySummary{
      .p50_ms = ms(h.percentile_ns(50)),
      .p90_ms = ms(h.percentile_ns(90)),
      .p99_ms = ms(h.percentile_ns(99)),
      .p999_ms = ms(h.percentile_ns(99.9)),
      .max_ms = ms(h.max_ns()),
      .mean_ms = h.mean_ns() / 1e6,
  };
}

std::string format_human(const Report& r) {
  std::string out;
  auto line = [&out](std::string_view label, const std::string& value) {
    out += fmt::format("  {:<16}{}\n", label, value);
  };
  out += "Summary:\n";
  line("Workload:",
       fmt::format("{} ({} clients over {} connections)", r.workload, r.clients, r.conns));
  line("Total:", fmt::format("{:.4f} secs.", r.seconds));
  if (r.puts_ok) {
    line("Puts:", fmt::format("{} ({} ok)", r.total, *r.puts_ok));
    line("Events:", fmt::format("{} ({} errors)", r.ok, r.errors));
  } else {
    line("Requests:", fmt::format("{} ({} ok, {} errors)", r.total, r.ok, r.errors));
  }
  line(r.puts_ok ? "Events/sec:" : "Requests/sec:", fmt::format("{:.1f}", r.throughput()));
  out += "\nLatency (ms):\n";
  const LatencySummary& l = r.latency;
  for (const auto& [label, value] :
       std::vector<std::pair<std::string_view, double>>{{"p50:", l.p50_ms},
                                                        {"p90:", l.p90_ms},
                                                        {"p99:", l.p99_ms},
                                                        {"p99.9:", l.p999_ms},
                                                        {"max:", l.max_ms},
                                                        {"mean:", l.mean_ms}}) {
    line(label, fmt::format("{:.3f}", value));
  }
  if (r.max_gap) {
    out += fmt::format("\nMax gap: {:.3f} ms without a success, starting {:.3f} s into the run\n",
                       r.max_gap->length_ms, r.max_gap->at_s);
  }
  if (r.missed_events) {
    out += *r.missed_events == 0
               ? std::string("\nEvery watcher saw every put.\n")
               : fmt::format("\nMissed events: {} (watcher, put) pairs\n", *r.missed_events);
  }
  if (!r.errors_by_status.empty()) {
    // Most frequent first.
    std::vector<std::pair<std::string, uint64_t>> errors(r.errors_by_status.begin(),
                                                         r.errors_by_status.end());
    std::stable_sort(errors.begin(), errors.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    out += "\nErrors:\n";
    for (const auto& [what, n] : errors) out += fmt::format("  {:>10}  {}\n", n, what);
  }
  return out;
}

std::string format_json(const Report& r) {
  Json j;
  j.begin_object();
  j.key("workload").string(r.workload);
  j.key("clients").number(r.clients);
  j.key("conns").number(r.conns);
  j.key("total").unsigned_number(r.total);
  j.key("ok").unsigned_number(r.ok);
  j.key("errors").unsigned_number(r.errors);
  j.key("errors_by_status").begin_object();
  for (const auto& [what, n] : r.errors_by_status) j.key(what).unsigned_number(n);
  j.end_object();
  j.key("seconds").fixed(r.seconds, 6);
  j.key("throughput").fixed(r.throughput(), 3);
  j.key("latency_ms").begin_object();
  j.key("p50").fixed(r.latency.p50_ms, 6);
  j.key("p90").fixed(r.latency.p90_ms, 6);
  j.key("p99").fixed(r.latency.p99_ms, 6);
  j.key("p999").fixed(r.latency.p999_ms, 6);
  j.key("max").fixed(r.latency.max_ms, 6);
  j.key("mean").fixed(r.latency.mean_ms, 6);
  j.end_object();
  if (r.max_gap) {
    j.key("max_gap_ms").fixed(r.max_gap->length_ms, 6);
    j.key("max_gap_at_s").fixed(r.max_gap->at_s, 6);
  }
  if (r.puts_ok) j.key("puts_ok").unsigned_number(*r.puts_ok);
  if (r.missed_events) j.key("missed_events").unsigned_number(*r.missed_events);
  j.end_object();
  return j.str();
}

}  // namespace regent::loadgen
