// What the HTTP face reads of its member for /health, /metrics and the status page: the Raft
// loop's status and counters, the state machine, the data directory, and what watches it (leader
// changes, peer round trips, watchers, election queues). Borrowed: the member outlives its HTTP
// face. A pointer left unset leaves out what it would report.
#pragma once

#include <string>

#include "server/api/call_counters.h"
#include "server/election/candidate_queue.h"
#include "server/host/leader_change_log.h"
#include "server/host/peer_prober.h"
#include "server/host/raft_node.h"
#include "server/node/state_machine.h"
#include "server/watch/watch_hub.h"

namespace regent::server::http {

struct MemberView {
  RaftNode* node = nullptr;
  StateMachine* machine = nullptr;
  std::string data_dir;
  uint64_t quota_bytes = 0;             // --quota-backend-bytes as applied; 0: no quota.
  const CallCounters* calls = nullptr;  // Unset: no grpc_server_handled_total.
  const LeaderChangeLog* leaders = nullptr;
  const PeerProber* prober = nullptr;
  const WatchHub* watches = nullptr;
  const CandidateQueues* queues = nullptr;
};

}  // namespace regent::server::http
