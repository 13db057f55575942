// The one place where a unary call meets failover: which endpoint to try, how long an attempt
// may take, and whether a failure may be retried (the rule stated at the top of client.h). Each
// attempt carries the client's auth token and may be re-sent once on the same endpoint with a
// fresh one (tokens.h). An Authenticate that gets no answer moves the call on like an
// unreachable endpoint; one the server refuses (wrong password, too many attempts) is the call's
// error.
#pragma once

#include <grpc/support/time.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <optional>
#include <string>

#include "client/context.h"
#include "client/error.h"

namespace regent::client::internal {

class Connections;

enum class Retry {
  // Reads, and writes whose repetition changes nothing (resign, proclaim, unlock, keep-alive):
  // retried on the next endpoint after Unavailable or a timed-out attempt.
  kIdempotent,
  // Retried only when the request provably never left the client.
  kWrite,
};

struct CallPolicy {
  Retry retry = Retry::kIdempotent;
  // Waits for an event (campaign, lock): no default deadline and no per-attempt limit; retried
  // after Unavailable until the context ends.
  bool blocking = false;
  // Asks this endpoint only, once (a per-member question: Status, health).
  std::optional<size_t> endpoint;
  // Overrides ClientOptions::attempt_timeout (keep-alives of short leases need shorter ones).
  std::optional<std::chrono::milliseconds> attempt_timeout;
};

// Sends one request through `send` (which makes the stub call on the given channel and context)
// to as many endpoints as the policy allows. Every attempt's grpc::ClientContext is cancelled
// when `ctx` is.
using SendFn =
    std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&, grpc::ClientContext&)>;
Result<void> call(Connections& connections, const Context& ctx, CallPolicy policy,
                  const SendFn& send);

// gRPC takes deadlines on its own clocks only; ours are steady_clock time points.
gpr_timespec grpc_deadline(Context::Clock::time_point deadline);

// The Error for a status a server (or gRPC) returned.
Error from_status(const grpc::Status& status, const std::string& endpoint);

// The error reported when ctx ended a call: etcd's Go words ("context canceled", "context
// deadline exceeded"), which etcdctl prints.
Error context_error(const Context& ctx);

// True when gRPC failed the call before sending it (no connection to the endpoint).
bool never_sent(const grpc::Status& status);

// The deadline a call gets: the context's, or request_timeout from now unless blocking.
std::optional<Context::Clock::time_point> call_deadline(const Connections& connections,
                                                        const Context& ctx, bool blocking);

}  // namespace regent::client::internal
