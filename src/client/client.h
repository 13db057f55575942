// A connection to a Regent (or etcd) cluster: the endpoints, one gRPC channel to each, and the
// failover rule every call of the library follows.
//
// Invariants:
//  - The client talks to the cluster through etcd's v3 gRPC API only.
//  - A call is sent to one endpoint at a time, starting with the last one that answered; an
//    endpoint that cannot be reached, or answers Unavailable, makes the call move to the next.
//  - Reads and idempotent calls (Range, Status, MemberList, Leader, keep-alives, campaign and lock
//    waits) are retried on the next endpoint after Unavailable, within their deadline. Writes
//    (Put, DeleteRange, Txn, Compact, LeaseGrant, LeaseRevoke, MoveLeader) are retried only when
//    they provably never left the client (no connection could be made); any other failure is
//    returned, marked `outcome_unknown` when the write may have been applied.
//  - Every call has a deadline: its Context's, or `request_timeout` from the call's start;
//    only calls that wait for an event (campaign, lock) may wait without one.
//  - With credentials (username and password), every call and stream carries the Client's auth
//    token, bought with Authenticate on the endpoint of the first call that needs one and shared
//    by all calls; a call the server refuses for its token (expired, or the auth store changed
//    under it) gets a fresh token and is re-sent once (src/client/internal/tokens.h). Other auth
//    errors reach the caller with etcd's code and message.
//  - A Client is thread-safe; objects built on it (KV, Lease, Watcher, Session, ...) share it
//    through std::shared_ptr and keep it alive while their background threads run.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "client/error.h"

namespace regent::client {

namespace internal {
class Connections;
}

// TLS, as etcdctl's flags: --cacert, --cert, --key, --insecure-skip-tls-verify. An https://
// endpoint is dialed with TLS, an http:// one in plain text, and a bare host:port with TLS when
// any of these is set.
struct TlsOptions {
  std::string ca_file;    // Verifies the members' certificates; empty: the system's roots.
  std::string cert_file;  // A client certificate (with key_file), for --client-cert-auth members.
  std::string key_file;
  bool insecure_skip_verify = false;  // Accept any member certificate: encrypts, no more.

  bool any() const {
    return !ca_file.empty() || !cert_file.empty() || !key_file.empty() || insecure_skip_verify;
  }
};

struct ClientOptions {
  // "http://host:port" or "https://host:port" (as etcd advertises them), or "host:port".
  std::vector<std::string> endpoints;
  TlsOptions tls;
  // How long one endpoint may take to accept a connection before the call moves on.
  std::chrono::milliseconds dial_timeout{2000};
  // The deadline of a call made with a Context that has none (etcdctl's --command-timeout).
  std::chrono::milliseconds request_timeout{5000};
  // The least time one attempt of a retriable call gets before the next endpoint is tried, so a
  // frozen member cannot use up a read's whole deadline.
  std::chrono::milliseconds attempt_timeout{2000};
  // HTTP/2 pings on open calls, to notice a dead connection under a long-running stream. etcd
  // refuses pings more often than every 5 s by default.
  std::chrono::milliseconds keepalive_time{10000};
  std::chrono::milliseconds keepalive_timeout{5000};
  // etcd's password authentication (etcdctl's --user/--password; parse_user_flag() in
  // client/credentials.h splits "name:password"). Used only when both are non-empty, as etcd's
  // clientv3 does; a cluster with auth off is then used without a token.
  std::string username;
  std::string password;
};

class Client {
 public:
  // Checks the endpoints' syntax; connections are made by the first call that needs them.
  static Result<std::shared_ptr<Client>> connect(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const { return options_; }
  // Used by the library's own classes (KV, Lease, ...); not an application interface.
  internal::Connections& connections() const { return *connections_; }

 private:
  Client(ClientOptions options, std::unique_ptr<internal::Connections> connections);

  ClientOptions options_;
  std::unique_ptr<internal::Connections> connections_;
};

}  // namespace regent::client
