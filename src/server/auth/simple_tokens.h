// etcd's simple tokens (--auth-token simple): an opaque random string that Authenticate hands out
// and that names a user until it has gone unused for the TTL (--auth-token-ttl). Every member
// learns each token when it applies the Authenticate entry (node/auth_token_sink.h), so a client
// may present it to any member; each member times tokens out by its own clock, as etcd's do.
//
// Invariants:
//  - A token is valid only while it is in the table and unexpired; each successful lookup
//    pushes its expiry a full TTL away.
//  - Expired tokens are dropped at the latest by the next assign() after a sweep interval, so
//    the table's size is bounded by the tokens issued within about one TTL.
//  - Thread-safe: gRPC threads look tokens up while the apply thread assigns them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/node/auth_token_sink.h"

namespace regent::server {

class SimpleTokens final : public AuthTokenSink {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;
  using WallNow = std::function<std::chrono::system_clock::time_point()>;

  explicit SimpleTokens(std::chrono::seconds ttl, Now now = Clock::now,
                        WallNow wall_now = std::chrono::system_clock::now);

  // A fresh token: 32 letters from the kernel's random source, a dot and a per-member counter
  // (etcd's are 16 letters and the Raft index); unique, and not guessable.
  std::string generate();

  // Valid for the TTL from when it was issued (by the issuing member's clock, trusted to within
  // the TTL): an entry applied at once gives the whole TTL, one replayed later what is left.
  void assign(std::string_view token, std::string_view user, int64_t issued_unix_ms) override;
  void forget_user(std::string_view user) override;
  void forget_all() override;

  // The user `token` names, its TTL renewed; nullopt for a token unknown or expired.
  std::optional<std::string> user_of(std::string_view token);
  size_t size() const;

 private:
  struct Entry {
    std::string user;
    Clock::time_point expires;
  };
  void sweep_locked(Clock::time_point now);

  const std::chrono::seconds ttl_;
  const Now now_;
  const WallNow wall_now_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> tokens_;
  Clock::time_point next_sweep_{};
  uint64_t issued_ = 0;
};

}  // namespace regent::server
