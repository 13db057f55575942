// Leases: grant, revoke, time-to-live, list, and a single keep-alive. Keeping a lease alive in
// the background is keep_alive.h's job; a lease kept alive for an owner is a Session.
//
// Invariants:
//  - grant() and revoke() are writes (client.h's retry rule); time_to_live(), leases() and
//    keep_alive_once() are retried on another endpoint after Unavailable.
//  - keep_alive_once() reports a lease the server no longer has as an Error with code NotFound
//    and etcd's message "etcdserver: requested lease not found", whether the server said so
//    with an error or with a TTL of 0.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/context.h"
#include "client/error.h"
#include "client/types.h"

namespace regent::client {

struct LeaseGrantResponse {
  ResponseHeader header;
  int64_t id = 0;
  int64_t ttl = 0;  // Seconds, as the server granted it.
  std::string error;
};

struct LeaseKeepAliveResponse {
  ResponseHeader header;
  int64_t id = 0;
  int64_t ttl = 0;  // The lease's TTL after renewal, in seconds.
};

struct LeaseTimeToLiveResponse {
  ResponseHeader header;
  int64_t id = 0;
  int64_t ttl = 0;          // Seconds left; -1 when the lease does not exist.
  int64_t granted_ttl = 0;  // 0 when the lease does not exist.
  std::vector<std::string> keys;
};

struct LeaseLeasesResponse {
  ResponseHeader header;
  std::vector<int64_t> leases;
};

class Lease {
 public:
  explicit Lease(std::shared_ptr<Client> client) : client_(std::move(client)) {}

  // id 0 lets the server pick the lease's id.
  Result<LeaseGrantResponse> grant(int64_t ttl_seconds, int64_t id = 0,
                                   const Context& ctx = Context()) const;
  Result<ResponseHeader> revoke(int64_t id, const Context& ctx = Context()) const;
  Result<LeaseTimeToLiveResponse> time_to_live(int64_t id, bool keys = false,
                                               const Context& ctx = Context()) const;
  Result<LeaseLeasesResponse> leases(const Context& ctx = Context()) const;
  Result<LeaseKeepAliveResponse> keep_alive_once(int64_t id, const Context& ctx = Context()) const;

 private:
  std::shared_ptr<Client> client_;
};

// The error keep_alive_once() and keep-alives report for a lease that no longer exists.
Error lease_not_found();

}  // namespace regent::client
