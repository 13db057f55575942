// Elections over etcd's v3election service: campaign, proclaim, resign, the current leader, and
// observing leadership changes.
//
// Invariants:
//  - A candidate's key is <name>/<lease in hex> under its session's lease (etcd's scheme), so
//    one session has one candidacy per election and a campaign repeated after a broken stream
//    resumes the same candidacy with the same create revision.
//  - campaign() returns only once this session leads, with the leader key checked to exist
//    under this session's lease; its create revision (LeaderKey::rev) is the fencing token of
//    this term of leadership. Tokens only grow from one term (of any candidate) to the next:
//    a term starts only after every key created before its own was deleted.
//  - campaign() ends with an error when its context is cancelled or past its deadline or the
//    session is lost; it then deletes its candidate key, so a cancelled campaign leaves no
//    candidacy behind (also when the server missed the cancellation).
//  - Leadership ends when the key is deleted: resign(), the session's lease revoked or expired,
//    or anyone deleting it. An Election does not watch for that; LeaderElector does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "client/client.h"
#include "client/context.h"
#include "client/error.h"
#include "client/session.h"
#include "client/types.h"

namespace regent::client {

// Proof of leadership, as etcd's LeaderKey: valid while `key` exists with create revision `rev`.
struct LeaderKey {
  std::string name;
  std::string key;
  int64_t rev = 0;  // The fencing token.
  int64_t lease = 0;
};

class Election {
 public:
  Election(std::shared_ptr<Session> session, std::string name);

  // Blocks until this session leads (see the invariants).
  Result<LeaderKey> campaign(const std::string& value, const Context& ctx = Context());
  // Changes the leader's value; fails with "election: not leader" if this session does not lead.
  Result<void> proclaim(const std::string& value, const Context& ctx = Context());
  // Gives leadership up (deletes the key); nothing to do if this session does not lead.
  Result<void> resign(const Context& ctx = Context());
  // The current leader's key and value; nullopt when nobody leads.
  Result<std::optional<KeyValue>> leader(const Context& ctx = Context()) const;

  std::optional<LeaderKey> leader_key() const;
  const std::string& name() const { return name_; }
  const std::shared_ptr<Session>& session() const { return session_; }
  std::string candidate_key() const;

 private:
  const std::shared_ptr<Session> session_;
  const std::string name_;
  mutable std::mutex mu_;
  std::optional<LeaderKey> held_;
};

// The current leader of election `name` (no session needed); nullopt when nobody leads.
Result<std::optional<KeyValue>> election_leader(Client& client, const std::string& name,
                                                const Context& ctx = Context());

// Follows an election's leadership through etcd's Observe stream, resuming on another endpoint
// when a stream breaks. on_leader runs on the observer's thread for the current leader and then
// for each change of leader or value (never twice for the same key, create and mod revision).
class ElectionObserver {
 public:
  using OnLeader = std::function<void(const KeyValue& leader)>;

  static std::unique_ptr<ElectionObserver> start(std::shared_ptr<Client> client, std::string name,
                                                 OnLeader on_leader);
  ~ElectionObserver();
  ElectionObserver(const ElectionObserver&) = delete;
  ElectionObserver& operator=(const ElectionObserver&) = delete;
  void cancel();

 private:
  ElectionObserver(std::shared_ptr<Client> client, std::string name, OnLeader on_leader);
  void run();
  void run_stream(size_t i);

  const std::shared_ptr<Client> client_;
  const std::string name_;
  const OnLeader on_leader_;
  Context stop_;
  KeyValue last_;
  std::thread thread_;
};

}  // namespace regent::client
