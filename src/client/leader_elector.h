// Leader election for services, in the style of Kubernetes' client-go leaderelection: a
// background loop that campaigns, reports when this process starts and stops leading and who
// leads, and steps down when it can no longer prove that its lease is alive.
//
// Invariants:
//  - Each term of leadership has its own session (lease) and leader key; the key's create
//    revision is the term's fencing token, handed to on_started_leading and on_stopped_leading.
//    Tokens only grow, across terms of this elector and of every other candidate.
//  - While leading, the elector steps down (on_stopped_leading) as soon as any of these holds:
//    stop() was called; the lease is gone (revoked or expired); the leader key was deleted; or
//    no keep-alive has proven the lease alive for lease_duration - margin. The last rule runs on
//    the local monotonic clock: a renewal sent at t proves the lease lives on the server until
//    at least t + TTL (keep_alive.h), so stepping down `margin` before that point stops this
//    leader before the server can expire its lease and let another candidate win. The margin
//    covers clock-rate differences and the time the application needs to stop its work.
//  - on_started_leading and on_stopped_leading run on the elector's thread, strictly
//    alternating, started first; each stopped-leading names the same term as the started one
//    before it. on_new_leader runs on an observer thread. Callbacks must return promptly and
//    must not call stop().
//  - After leadership ends for any reason but stop(), the elector withdraws (resigns, revokes
//    the lease, best effort), waits retry_period, and campaigns again with a new session.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "client/client.h"
#include "client/context.h"
#include "client/election.h"
#include "client/error.h"
#include "client/session.h"

namespace regent::client {

struct LeadershipTerm {
  std::string election;
  std::string identity;
  std::string key;            // The leader key held during this term.
  int64_t fencing_token = 0;  // The leader key's create revision.
  int64_t lease = 0;
};

struct LeaderElectorOptions {
  std::string name;      // The election.
  std::string identity;  // This candidate's value, seen by observers while it leads.
  std::chrono::seconds lease_duration{15};
  // How long before the proven end of the lease leadership is given up; 0: lease_duration / 5.
  std::chrono::milliseconds margin{0};
  // The pause before campaigning again after a failure or a lost term.
  std::chrono::milliseconds retry_period{1000};

  std::function<void(const LeadershipTerm&)> on_started_leading;
  std::function<void(const LeadershipTerm&, const Error& why)> on_stopped_leading;
  // The identity and fencing token of each new leader (this candidate included).
  std::function<void(const std::string& identity, int64_t fencing_token)> on_new_leader;
};

class LeaderElector {
 public:
  LeaderElector(std::shared_ptr<Client> client, LeaderElectorOptions options);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void start();
  // Stops campaigning; a leader steps down (on_stopped_leading) and resigns. Waits for both.
  void stop();

  // Leading now, with the lease proven alive for at least `margin` more.
  bool is_leader() const;
  std::optional<LeadershipTerm> term() const;
  // The lease of the current session (0 between sessions), e.g. to revoke it in a test.
  int64_t lease() const;

 private:
  void run();
  // One session: campaign, lead, step down. Returns after withdrawing.
  void run_session();
  std::chrono::steady_clock::duration margin() const;

  const std::shared_ptr<Client> client_;
  const LeaderElectorOptions options_;
  Context stop_;
  std::unique_ptr<ElectionObserver> observer_;

  mutable std::mutex mu_;
  std::shared_ptr<Session> session_;
  std::optional<LeadershipTerm> term_;
  std::thread thread_;
};

}  // namespace regent::client
