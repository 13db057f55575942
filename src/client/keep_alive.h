// Keeps one lease alive in the background and knows, by the local clock, until when the lease is
// proven to live on the server.
//
// The clock argument: a renewal sent at local time t that the server answers with TTL T was
// applied by the server at some time >= t, so the server will not expire the lease before t + T
// (up to the clocks' rate difference, which the users' margins cover). `alive_until` is the
// latest such t + T. A renewal is sent every T/3; failures are retried on the next endpoints
// until alive_until passes.
//
// Invariants:
//  - alive_until() never decreases.
//  - The lease is lost when the server says it does not have it (revoked or expired: TTL 0 or
//    "requested lease not found"), or when alive_until passes without a successful renewal.
//    Loss is final: renewals stop, on_lost runs once, and lost() stays true.
//  - After stop() returns no callback runs and no renewal is sent; stop() does not revoke.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "client/client.h"
#include "client/context.h"
#include "client/error.h"
#include "client/lease.h"

namespace regent::client {

struct KeepAliveOptions {
  // Both run on the keep-alive thread; they must not call stop() on their own KeepAlive.
  std::function<void(const LeaseKeepAliveResponse&)> on_renewed;
  std::function<void(const Error&)> on_lost;
};

class KeepAlive {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts renewing `lease`, whose TTL is `ttl` and which is known to live until `alive_until`
  // (the grant's send time plus the granted TTL).
  KeepAlive(std::shared_ptr<Client> client, int64_t lease, std::chrono::seconds ttl,
            Clock::time_point alive_until, KeepAliveOptions options = {});
  ~KeepAlive();
  KeepAlive(const KeepAlive&) = delete;
  KeepAlive& operator=(const KeepAlive&) = delete;

  void stop();

  int64_t lease() const { return lease_; }
  std::chrono::seconds ttl() const { return ttl_; }
  Clock::time_point alive_until() const;
  // True once the lease is lost, or as soon as alive_until has passed.
  bool lost() const;
  std::optional<Error> lost_error() const;
  // Waits until the lease is lost or `until`; returns lost().
  bool wait_lost(Clock::time_point until) const;

 private:
  void run();
  void lose(Error error);

  const std::shared_ptr<Client> client_;
  const int64_t lease_;
  const std::chrono::seconds ttl_;
  const KeepAliveOptions options_;
  Context stop_;  // Cancelled by stop(): ends the wait and any renewal in flight.

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  Clock::time_point alive_until_;
  std::optional<Error> lost_;
  std::thread thread_;
};

}  // namespace regent::client
