#include "client/internal/call.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "client/internal/authenticate.h"
#include "client/internal/connections.h"

namespace regent::client::internal {

using Clock = Context::Clock;

gpr_timespec grpc_deadline(Clock::time_point deadline) {
  const auto left = std::max<Clock::duration>(Clock::duration::zero(), deadline - Clock::now());
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_nanos(nanos, GPR_TIMESPAN));
}

Error from_status(const grpc::Status& status, const std::string& endpoint) {
  Error e{.code = static_cast<Code>(status.error_code()),
          .message = status.error_message(),
          .endpoint = endpoint};
  // gRPC's own words for a passed deadline, in the form etcd's tools print.
  if (e.code == Code::kDeadlineExceeded && e.message == "Deadline Exceeded") {
    e.message = "context deadline exceeded";
  }
  return e;
}

Error context_error(const Context& ctx) {
  if (ctx.cancelled()) return Error{.code = Code::kCancelled, .message = "context canceled"};
  return Error{.code = Code::kDeadlineExceeded, .message = "context deadline exceeded"};
}

bool never_sent(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  // gRPC's words when it had no connection to put the call on (a failed pick, a refused or
  // unresolvable address); a call that was on the wire fails with other text ("Socket closed",
  // "Connection reset by peer", a server's message).
  const std::string& m = status.error_message();
  for (const char* text : {"failed to connect to all addresses", "Connection refused",
                           "DNS resolution failed", "no address", "No address"}) {
    if (m.find(text) != std::string::npos) return true;
  }
  return false;
}

std::optional<Clock::time_point> call_deadline(const Connections& connections, const Context& ctx,
                                               bool blocking) {
  if (ctx.deadline()) return ctx.deadline();
  if (blocking) return std::nullopt;
  return Clock::now() + connections.options().request_timeout;
}

namespace {

// Whether a failed attempt may be repeated on the next endpoint.
bool retriable(const grpc::Status& status, CallPolicy policy, bool attempt_timed_out) {
  if (never_sent(status)) return true;
  if (policy.retry == Retry::kWrite) return false;
  return status.error_code() == grpc::StatusCode::UNAVAILABLE || attempt_timed_out;
}

// The deadline of one attempt: a retriable call leaves time for the other endpoints.
Clock::time_point attempt_deadline(const Connections& connections, CallPolicy policy,
                                   Clock::time_point deadline) {
  if (policy.retry == Retry::kWrite || connections.size() == 1) return deadline;
  const auto now = Clock::now();
  const auto share = (deadline - now) / static_cast<int>(connections.size());
  const auto least = policy.attempt_timeout.value_or(connections.options().attempt_timeout);
  const auto slice = std::max<Clock::duration>(least, share);
  return std::min(deadline, now + slice);
}

// The deadline of the attempt about to be made, if the call has one: a blocking call's attempt
// gets all of it.
std::optional<Clock::time_point> next_attempt_deadline(const Connections& connections,
                                                       CallPolicy policy,
                                                       std::optional<Clock::time_point> deadline) {
  if (!deadline) return std::nullopt;
  if (policy.blocking) return deadline;
  return attempt_deadline(connections, policy, *deadline);
}

// One attempt on endpoint i: the request with the client's token, re-sent once with a fresh
// token when the server asks for one (tokens.h).
Result<grpc::Status> send_attempt(Connections& connections, size_t i, const Context& ctx,
                                  std::optional<Clock::time_point> deadline, const SendFn& send) {
  return send_with_token(connections.tokens(), authenticate_on(connections, i, deadline, ctx),
                         [&](const std::string& token) {
                           grpc::ClientContext cc;
                           if (deadline) cc.set_deadline(grpc_deadline(*deadline));
                           if (!token.empty()) cc.AddMetadata(kTokenMetadataKey, token);
                           Context::Hook hook = ctx.on_cancel([&cc] { cc.TryCancel(); });
                           return send(connections.channel(i), cc);
                         });
}

// An Authenticate that got no answer from the endpoint (as opposed to a refusal).
bool unanswered(const Error& e) {
  return e.code == Code::kUnavailable || e.code == Code::kDeadlineExceeded;
}

}  // namespace

Result<void> call(Connections& connections, const Context& ctx, CallPolicy policy,
                  const SendFn& send) {
  const auto deadline = call_deadline(connections, ctx, policy.blocking);
  const size_t n = policy.endpoint ? 1 : connections.size();
  const size_t first = policy.endpoint ? *policy.endpoint : connections.preferred();
  Error last{.code = Code::kUnavailable, .message = "no endpoint tried"};
  // Bounded by the deadline; a blocking call without one is bounded by its context alone.
  for (size_t attempt = 0;; ++attempt) {
    if (ctx.cancelled()) return fail(context_error(ctx));
    if (policy.endpoint && attempt > 0) return fail(last);
    if (deadline && Clock::now() >= *deadline) {
      if (attempt > 0 && last.code != Code::kDeadlineExceeded) return fail(last);
      return fail(context_error(ctx.with_deadline(*deadline)));
    }
    if (attempt > 0 && attempt % n == 0) {
      // A whole round failed: back off before the next, 50 ms more each round up to 1 s.
      const auto pause = std::chrono::milliseconds(std::min<size_t>(1000, 50 * (attempt / n)));
      const auto wake = deadline ? std::min(*deadline, Clock::now() + pause) : Clock::now() + pause;
      if (ctx.sleep_until(wake) && ctx.cancelled()) return fail(context_error(ctx));
    }
    const size_t i = policy.endpoint ? first : (first + attempt) % n;
    const std::string& endpoint = connections.endpoint(i);
    auto dial_deadline = Clock::now() + connections.options().dial_timeout;
    if (deadline) dial_deadline = std::min(dial_deadline, *deadline);
    if (!connections.wait_connected(i, dial_deadline, ctx)) {
      if (ctx.cancelled()) return fail(context_error(ctx));
      connections.note_failure(i);
      last = Error{.code = Code::kUnavailable,
                   .message = fmt::format("cannot connect to {}", endpoint),
                   .endpoint = endpoint};
      continue;
    }
    const auto this_deadline = next_attempt_deadline(connections, policy, deadline);
    auto sent = send_attempt(connections, i, ctx, this_deadline, send);
    if (!sent) {
      // Authenticate failed, so the request itself was not sent or was refused: never applied.
      if (ctx.cancelled()) return fail(context_error(ctx));
      if (!unanswered(sent.error())) return fail(sent.error());
      connections.note_failure(i);
      last = sent.error();
      continue;
    }
    const grpc::Status status = *sent;
    if (status.ok()) {
      connections.note_success(i);
      return {};
    }
    if (ctx.cancelled()) {
      Error e = context_error(ctx);
      e.endpoint = endpoint;
      e.outcome_unknown = policy.retry == Retry::kWrite && !never_sent(status);
      return fail(std::move(e));
    }
    const bool timed_out = status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
                           this_deadline && (!deadline || *this_deadline < *deadline);
    if (retriable(status, policy, timed_out)) {
      connections.note_failure(i);
      last = from_status(status, endpoint);
      continue;
    }
    Error e = from_status(status, endpoint);
    if (policy.retry == Retry::kWrite) {
      const auto code = status.error_code();
      // A server's refusal (InvalidArgument, FailedPrecondition, ...) means not applied; a lost
      // answer means unknown. etcd's "no leader" is refused before proposing.
      e.outcome_unknown = (code == grpc::StatusCode::UNAVAILABLE && !e.is_no_leader()) ||
                          code == grpc::StatusCode::DEADLINE_EXCEEDED ||
                          code == grpc::StatusCode::UNKNOWN || code == grpc::StatusCode::CANCELLED;
    }
    return fail(std::move(e));
  }
}

}  // namespace regent::client::internal
