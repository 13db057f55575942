// One entry point per workload; each runs to its end and returns the results. Options must be
// valid (validate()).
#pragma once

#include <string>

#include "loadgen/options.h"
#include "loadgen/report.h"

namespace regent::loadgen {

// `label` names the progress lines (range's preload reuses this with its own).
Report run_put(const Options& options, std::string label = "put");
// Puts every key of the key space once (before the clock starts), then reads single keys.
Report run_range(const Options& options);
Report run_txn_put(const Options& options);
Report run_watch_latency(const Options& options);
Report run_lease_keepalive(const Options& options);

}  // namespace regent::loadgen
