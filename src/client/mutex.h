// A distributed mutex over etcd's v3lock service, held under a session's lease.
//
// Invariants:
//  - The lock's key is <name>/<lease in hex> (etcd's scheme): two Mutex objects on the same
//    session and name share one key, so mutual exclusion holds between sessions, not between
//    objects of one session. Give each contender its own Session.
//  - lock() returns only once this session holds the lock, with the key checked to exist under
//    the session's lease; revision() (the key's create revision) is the fencing token, and it
//    grows from one holder to the next.
//  - lock() ends with an error when its context ends or the session is lost, and then deletes
//    its key, so a cancelled wait leaves nothing queued.
//  - The lock is held until unlock(), or until the session's lease is revoked or expires.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "client/context.h"
#include "client/error.h"
#include "client/session.h"

namespace regent::client {

class Mutex {
 public:
  Mutex(std::shared_ptr<Session> session, std::string name);

  Result<void> lock(const Context& ctx = Context());
  Result<void> unlock(const Context& ctx = Context());

  bool held() const;
  // The held key and its create revision (the fencing token); empty / 0 when not held.
  std::string key() const;
  int64_t revision() const;
  const std::string& name() const { return name_; }
  const std::shared_ptr<Session>& session() const { return session_; }

 private:
  const std::shared_ptr<Session> session_;
  const std::string name_;
  mutable std::mutex mu_;
  std::string key_;
  int64_t revision_ = 0;
};

}  // namespace regent::client
