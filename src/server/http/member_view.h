// What the HTTP face reads of its member for /health and /metrics: the Raft loop's status and
// counters, the state machine, the data directory. Borrowed: the member outlives its HTTP face.
#pragma once

#include <string>

#include "server/api/call_counters.h"
#include "server/host/raft_node.h"
#include "server/node/state_machine.h"

namespace regent::server::http {

struct MemberView {
  RaftNode* node = nullptr;
  StateMachine* machine = nullptr;
  std::string data_dir;
  const CallCounters* calls = nullptr;  // Unset: no grpc_server_handled_total.
};

}  // namespace regent::server::http
