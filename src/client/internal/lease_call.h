// A single lease renewal, shared by Lease::keep_alive_once and the background keep-alive.
#pragma once

#include <chrono>
#include <optional>

#include "client/lease.h"

namespace regent::client::internal {

// One LeaseKeepAlive exchange, on as many endpoints as ctx's deadline allows; each endpoint gets
// at least `attempt_timeout` (default: the client's) before the next is tried.
Result<LeaseKeepAliveResponse> keep_alive_once(
    Client& client, int64_t id, const Context& ctx,
    std::optional<std::chrono::milliseconds> attempt_timeout);

}  // namespace regent::client::internal
