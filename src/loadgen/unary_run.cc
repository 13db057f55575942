#include "loadgen/unary_run.h"

#include "loadgen/runner.h"
#include "loadgen/unary_client.h"

namespace regent::loadgen {

std::string bench_value(const Options& options) {
  return std::string(static_cast<size_t>(options.val_size), 'v');
}

Report run_unary(const Options& options, std::string label, const UnaryCallFactory& make) {
  Runner runner(options, std::move(label));
  runner.connect();
  const UnaryClientConfig config{.timeout = runner.request_timeout()};
  std::vector<std::unique_ptr<UnaryClient>> clients;
  std::vector<Reactor*> reactors;
  for (size_t i = 0; i < static_cast<size_t>(options.clients); ++i) {
    clients.push_back(std::make_unique<UnaryClient>(runner.queue(i), runner.recorder(i),
                                                    runner.budget(), &runner.clock(),
                                                    make(i, runner.channel(i)), config));
    reactors.push_back(clients.back().get());
  }
  return runner.run_closed_loop(reactors);
}

}  // namespace regent::loadgen
