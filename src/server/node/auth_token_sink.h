// Where the tokens that Authenticate entries hand out go: the member's table of simple tokens
// (server/auth/simple_tokens.h), which lives beside the replicated state, not in it. Tokens expire
// by each member's own clock, and a restarted member knows none (its clients authenticate again,
// as etcd's do), so they are no part of a snapshot and no part of what members compare.
//
// Called by the state machine while it applies (with its lock held): implementations must not
// call back into it, nor block.
#pragma once

#include <cstdint>
#include <string_view>

namespace regent::server {

class AuthTokenSink {
 public:
  virtual ~AuthTokenSink() = default;
  // `issued_unix_ms`: when the proposing member issued it (its wall clock), so that an entry
  // replayed long after (a restart) yields a token already expired.
  virtual void assign(std::string_view token, std::string_view user, int64_t issued_unix_ms) = 0;
  // The user was deleted or its password changed: its tokens are void (etcd's invalidateUser).
  virtual void forget_user(std::string_view user) = 0;
  // Auth was disabled, or the state replaced by a snapshot.
  virtual void forget_all() = 0;
};

}  // namespace regent::server
