// One Regent member, assembled: its data directory (storage/), its peers (transport/), its Raft
// loop and state machine, and the etcd v3 gRPC API for clients.
//
// Start-up: lock and recover the data directory (a fresh one is bootstrapped with the cluster of
// --initial-cluster), start the loop, then listen to peers and clients. Shut-down (SIGTERM): a
// leader first hands leadership to its most up-to-date follower, then the member stops taking
// requests, answers what is waiting, syncs its log and returns.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/expected.h"
#include "common/logger.h"
#include "server/cluster_config.h"
#include "server/node/fault_points.h"
#include "tls/tls_flags.h"

namespace regent::server {

struct ServerOptions {
  ClusterFlags cluster;
  std::string data_dir;  // Empty: "<name>.regent".
  std::chrono::milliseconds heartbeat_interval{100};
  std::chrono::milliseconds election_timeout{1000};
  uint64_t snapshot_count = 100000;  // etcd 3.4's default.
  uint64_t snapshot_catchup_entries = 5000;
  uint64_t max_request_bytes = 1536 * 1024;
  int max_txn_ops = 128;
  // How far a lease's recorded remaining TTL may drift from the leader's clock before the leader
  // checkpoints it through the log (etcd's --experimental-lease-checkpoint-interval); 0: never.
  std::chrono::milliseconds lease_checkpoint_interval{5000};
  // Between two progress notifications to an idle watcher that asked for them (etcd's
  // --experimental-watch-progress-notify-interval).
  std::chrono::milliseconds watch_progress_notify_interval{10 * 60 * 1000};
  // See NodeOptions::campaign_on_leader_down.
  bool campaign_on_leader_down = true;
  // etcd's --strict-reconfig-check (server/node/reconfig_checks.h).
  bool strict_reconfig_check = true;
  // etcd's --quota-backend-bytes (server/node/space_quota.h: 0 the default, negative none).
  int64_t quota_backend_bytes = 0;
  // etcd's --experimental-initial-corrupt-check and --experimental-corrupt-check-time
  // (server/host/corruption_check.h); an interval of 0 checks never.
  bool initial_corrupt_check = false;
  // etcd's --force-new-cluster (server/force_new_cluster.h).
  bool force_new_cluster = false;
  std::chrono::milliseconds corrupt_check_interval{0};
  // etcd's --listen-metrics-urls: more ports serving /metrics and /health alone (http:// only).
  std::vector<std::string> listen_metrics_urls;
  // TLS of the client and peer ports (server/member_security.h), etcd's flags.
  tls::SecurityFlags security;
  // Auth (server/api/auth_service.h): etcd's --auth-token-ttl (seconds a simple token lives
  // unused) and --bcrypt-cost. --auth-token takes "simple" only.
  std::chrono::seconds auth_token_ttl{300};
  int bcrypt_cost = 10;
  // A broken ordering, for the chaos harness's proof that its checkers catch one: honoured only
  // by the test variant regentd-faulty; any other member refuses to start with it.
  NodeFault node_fault = NodeFault::kNone;
};

class Server {
 public:
  static Expected<std::unique_ptr<Server>, std::string> start(const ServerOptions& options,
                                                              Logger& logger);
  virtual ~Server() = default;

  // The graceful stop above. Idempotent.
  virtual void shutdown() = 0;
  // True once the member stopped on its own (its disk failed).
  virtual bool failed() const = 0;
};

}  // namespace regent::server
