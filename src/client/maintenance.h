// Cluster and member administration: members, per-endpoint status and health, leadership
// transfer.
//
// Invariants:
//  - status() and health() ask one endpoint and never fail over: they describe that member.
//  - member_list() is a read (retried on another endpoint); move_leader() is a write, sent to
//    the member that leads (found through status()), as etcd requires.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/client.h"
#include "client/context.h"
#include "client/error.h"
#include "client/types.h"

namespace regent::client {

struct Member {
  uint64_t id = 0;
  std::string name;
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;
  bool is_learner = false;
};

struct MemberListResponse {
  ResponseHeader header;
  std::vector<Member> members;
};

struct StatusResponse {
  ResponseHeader header;
  std::string version;
  int64_t db_size = 0;
  uint64_t leader = 0;
  uint64_t raft_index = 0;
  uint64_t raft_term = 0;
  uint64_t raft_applied_index = 0;
  std::vector<std::string> errors;
  int64_t db_size_in_use = 0;
  bool is_learner = false;
};

struct HealthResponse {
  bool healthy = false;
  std::chrono::nanoseconds took{0};
  std::string error;  // Why not healthy.
};

class Maintenance {
 public:
  explicit Maintenance(std::shared_ptr<Client> client) : client_(std::move(client)) {}

  size_t endpoint_count() const;
  const std::string& endpoint(size_t i) const;

  Result<StatusResponse> status(size_t endpoint, const Context& ctx = Context()) const;
  // etcdctl's check: a linearizable read answered (a missing key or "permission denied" count
  // as answers) and no alarm raised.
  HealthResponse health(size_t endpoint, const Context& ctx = Context()) const;
  Result<MemberListResponse> member_list(const Context& ctx = Context()) const;
  // Cluster.MemberAdd and MemberRemove (etcdctl member add / remove): writes, not retried once
  // sent. member_add returns the added member (its id; no name until it starts).
  Result<Member> member_add(const std::vector<std::string>& peer_urls, bool learner = false,
                            const Context& ctx = Context()) const;
  Result<void> member_remove(uint64_t id, const Context& ctx = Context()) const;
  // Asks the current leader to hand leadership to `target`; returns the former leader's id.
  Result<uint64_t> move_leader(uint64_t target, const Context& ctx = Context()) const;
  // The endpoint's backup of its state (Maintenance.Snapshot), handed to `sink` blob by blob with
  // the bytes still to come; `sink` returns false to give up. Returns the bytes received. Not
  // retried: a second attempt would start another backup, and the sink has half of the first.
  using BlobSink = std::function<bool(std::string_view blob, uint64_t remaining)>;
  Result<uint64_t> snapshot(size_t endpoint, const BlobSink& sink,
                            const Context& ctx = Context()) const;

 private:
  std::shared_ptr<Client> client_;
};

}  // namespace regent::client
