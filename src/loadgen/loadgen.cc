#include "loadgen/loadgen.h"

#include "loadgen/workloads.h"

namespace regent::loadgen {

Expected<Report, std::string> run(const Options& options) {
  if (auto problem = validate(options)) return unexpected(*problem);
  switch (options.workload) {
    case Workload::kPut:
      return run_put(options);
    case Workload::kRange:
      return run_range(options);
    case Workload::kTxnPut:
      return run_txn_put(options);
    case Workload::kWatchLatency:
      return run_watch_latency(options);
    case Workload::kLeaseKeepAlive:
      return run_lease_keepalive(options);
  }
  return unexpected(std::string("unknown workload"));
}

}  // namespace regent::loadgen
