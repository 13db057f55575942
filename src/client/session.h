// A Session: a lease granted for one owner and kept alive in the background (keep_alive.h),
// with a callback when it is lost. Elections and mutexes hold their keys under a session's
// lease, so the keys vanish when the owner does.
//
// Invariants:
//  - lease() is fixed for the session's life; a lost session is never revived (make a new one).
//  - done_context() is cancelled exactly when the session is lost or closed, so a campaign or a
//    lock wait made under the session ends with it.
//  - alive_until() is the local time until which the lease is proven alive on the server
//    (keep_alive.h); code that must not act after the lease may have expired (a leader) stops
//    before it, with a margin.
//  - Destroying an open session closes it (stops keep-alives, revokes the lease with a short
//    deadline); orphan() instead leaves the lease to expire by itself.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "client/client.h"
#include "client/context.h"
#include "client/error.h"
#include "client/keep_alive.h"

namespace regent::client {

struct SessionOptions {
  std::chrono::seconds ttl{60};
  // Keep this existing lease alive instead of granting a new one.
  int64_t lease = 0;
  // Called once, on the keep-alive thread, when the lease is lost (not after close/orphan).
  std::function<void(const Error&)> on_lost;
};

class Session {
 public:
  using Clock = std::chrono::steady_clock;

  static Result<std::shared_ptr<Session>> create(std::shared_ptr<Client> client,
                                                 SessionOptions options = {},
                                                 const Context& ctx = Context());
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::shared_ptr<Client>& client() const { return client_; }
  int64_t lease() const { return lease_; }
  std::chrono::seconds ttl() const { return ttl_; }

  bool lost() const { return keep_alive_->lost(); }
  std::optional<Error> lost_error() const { return keep_alive_->lost_error(); }
  Clock::time_point alive_until() const { return keep_alive_->alive_until(); }
  bool wait_lost(Clock::time_point until) const { return keep_alive_->wait_lost(until); }
  const Context& done_context() const { return done_; }

  // Stops keep-alives and revokes the lease (its keys are deleted at once).
  Result<void> close(const Context& ctx = Context());
  // Stops keep-alives; the lease and its keys expire after the TTL.
  void orphan();

 private:
  Session(std::shared_ptr<Client> client, int64_t lease, std::chrono::seconds ttl);

  const std::shared_ptr<Client> client_;
  const int64_t lease_;
  const std::chrono::seconds ttl_;
  Context done_;
  std::unique_ptr<KeepAlive> keep_alive_;
  std::atomic<bool> closed_{false};
};

}  // namespace regent::client
