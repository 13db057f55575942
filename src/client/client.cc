#include "client/client.h"

#include "client/internal/connections.h"

namespace regent::client {

Result<std::shared_ptr<Client>> Client::connect(ClientOptions options) {
  if (options.endpoints.empty()) return fail(Code::kInvalidArgument, "no endpoints given");
  auto targets = internal::dial_targets(options);
  if (!targets) return fail(targets.error());
  auto connections = std::make_unique<internal::Connections>(options, std::move(*targets));
  return std::shared_ptr<Client>(new Client(std::move(options), std::move(connections)));
}

Client::Client(ClientOptions options, std::unique_ptr<internal::Connections> connections)
    : options_(std::move(options)), connections_(std::move(connections)) {}

Client::~Client() = default;

}  // namespace regent::client
