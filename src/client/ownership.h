// Whether a key held under a session (a leader key, a lock key) is still provably held: the
// rules a leader or lock holder must stop acting by, in one place.
//
// Invariants: lost() becomes non-empty, and stays so, as soon as any of these holds:
//  - the session's lease is gone (revoked or expired, as its keep-alive learnt);
//  - the key was deleted or replaced (a watch on it from its creation saw a change of
//    generation), or that watch could not continue;
//  - now >= session.alive_until() - margin: no renewal proves the lease alive long enough
//    (keep_alive.h explains why alive_until is a safe lower bound of the server's expiry).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "client/context.h"
#include "client/error.h"
#include "client/session.h"
#include "client/watch.h"

namespace regent::client {

class OwnershipMonitor {
 public:
  using Clock = std::chrono::steady_clock;

  OwnershipMonitor(std::shared_ptr<Session> session, std::string key, int64_t create_revision,
                   Clock::duration margin);
  ~OwnershipMonitor();
  OwnershipMonitor(const OwnershipMonitor&) = delete;
  OwnershipMonitor& operator=(const OwnershipMonitor&) = delete;

  // Empty while the key is provably held; otherwise why not.
  std::optional<Error> lost() const;
  // Waits (polling every 50 ms) until lost, `until`, or `stop` is cancelled; returns lost().
  std::optional<Error> wait_lost(Clock::time_point until, const Context& stop) const;

  const std::string& key() const { return key_; }
  int64_t create_revision() const { return create_revision_; }

 private:
  const std::shared_ptr<Session> session_;
  const std::string key_;
  const int64_t create_revision_;
  const Clock::duration margin_;
  mutable std::mutex mu_;
  mutable std::optional<Error> lost_;  // Sticky once set.
  std::unique_ptr<Watcher> watcher_;
};

}  // namespace regent::client
