// lease-keepalive: every client grants a lease and keeps it alive over a LeaseKeepAlive stream,
// one sample per keep-alive round trip (lease_client.h); the leases are revoked at the end.
#include <memory>
#include <vector>

#include "loadgen/lease_client.h"
#include "loadgen/runner.h"
#include "loadgen/workloads.h"

namespace regent::loadgen {

Report run_lease_keepalive(const Options& options) {
  Runner runner(options, "lease-keepalive");
  runner.connect();
  const LeaseClientConfig config{.ttl_s = options.lease_ttl_s, .timeout = runner.request_timeout()};
  std::vector<std::unique_ptr<LeaseClient>> clients;
  std::vector<Reactor*> reactors;
  for (size_t i = 0; i < static_cast<size_t>(options.clients); ++i) {
    clients.push_back(std::make_unique<LeaseClient>(runner.queue(i), runner.recorder(i),
                                                    runner.budget(), &runner.clock(),
                                                    runner.channel(i), config));
    reactors.push_back(clients.back().get());
  }
  return runner.run_closed_loop(reactors);  // Retiring waits for lease revokes too.
}

}  // namespace regent::loadgen
