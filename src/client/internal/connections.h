// One gRPC channel per endpoint and the endpoint a call should try first.
//
// Invariants:
//  - channel(i) is created once, with the client's keep-alive and reconnect settings, and lives
//    as long as the Connections.
//  - preferred() is the endpoint that last answered, or the one after the endpoint that last
//    failed: a call starts there and walks the list from it.
//  - wait_connected() returning false means nothing was sent to that endpoint.
//  - A monitor thread keeps every channel polled, so a connection that breaks while no call is
//    on it (a member killed between two calls) is noticed at once and the next call sees the
//    channel down before sending, rather than writing into a dead socket.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "client/context.h"
#include "client/internal/tokens.h"

namespace regent::client::internal {

// "http://127.0.0.1:2379" or "https://..." -> "127.0.0.1:2379"; an error for other schemes.
Result<std::string> grpc_target(const std::string& endpoint);

// Whether `endpoint` is dialed with TLS (see TlsOptions).
bool uses_tls(const std::string& endpoint, const TlsOptions& tls);

// One endpoint to dial: its host:port and what to dial it with.
struct Target {
  std::string address;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

// The targets of every endpoint; an error for a bad endpoint or unusable TLS files.
Result<std::vector<Target>> dial_targets(const ClientOptions& options);

class Connections {
 public:
  using Clock = std::chrono::steady_clock;

  Connections(const ClientOptions& options, std::vector<Target> targets);
  ~Connections();
  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;

  size_t size() const { return endpoints_.size(); }
  const std::string& endpoint(size_t i) const { return endpoints_[i]; }
  std::shared_ptr<grpc::Channel> channel(size_t i) const { return channels_[i]; }
  const ClientOptions& options() const { return options_; }
  // The auth token all calls of this client share.
  Tokens& tokens() { return tokens_; }

  size_t preferred() const { return preferred_.load() % size(); }
  void note_success(size_t i) { preferred_.store(i); }
  void note_failure(size_t i);

  // Waits until endpoint i's channel is connected, until `deadline`, or until ctx is done.
  bool wait_connected(size_t i, Clock::time_point deadline, const Context& ctx) const;

 private:
  ClientOptions options_;
  std::vector<std::string> endpoints_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  Tokens tokens_;
  std::atomic<size_t> preferred_{0};
  std::atomic<bool> stopping_{false};
  std::thread monitor_;
};

}  // namespace regent::client::internal
