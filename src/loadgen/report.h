// The results of a run and their two printed forms: a summary for people, shaped like etcd's
// benchmark tool's, and one JSON object for scripts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "loadgen/histogram.h"

namespace regent::loadgen {

struct LatencySummary {
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
  double mean_ms = 0;
};

LatencySummary summarize(const Histogram& h);

struct MaxGap {
  double length_ms = 0;  // Longest time without a success (run start and end count as bounds).
  double at_s = 0;       // When it began, in seconds after the run started.
};

struct Report {
  std::string workload;
  int clients = 0;
  int conns = 0;
  uint64_t total = 0;  // Requests answered (ok + errors); watch-latency: puts answered.
  uint64_t ok = 0;     // Latency samples: successful requests (watch-latency: events received).
  uint64_t errors = 0;
  std::map<std::string, uint64_t> errors_by_status;
  double seconds = 0;  // Measured wall time.
  LatencySummary latency;
  std::optional<MaxGap> max_gap;          // Only when asked for (--max-gap).
  std::optional<uint64_t> missed_events;  // watch-latency: (watcher, put) pairs not seen.
  std::optional<uint64_t> puts_ok;        // watch-latency: successful puts.

  double throughput() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

std::string format_human(const Report& r);
std::string format_json(const Report& r);

}  // namespace regent::loadgen
