// Joining a running cluster: `--initial-cluster-state existing` on an empty data directory, as
// etcd. The member asks the members of --initial-cluster (their peer ports, PeerInfo.Members)
// for the cluster id and the member table, and finds itself there by its advertised peer URLs:
// its id is the one `member add` chose, not one derived from the flags (the flags' cluster id
// would be wrong too: it hashes today's member list). A member the table does not list was never
// added, and is refused. It then starts with no log; the leader catches it up by snapshot.
//
// Invariants:
//  - Every listed peer is asked at once, each bounded by `ask`; the first answer that lists this
//    member decides. Answers from different clusters are refused, not chosen between.
//  - Nothing is written here: the caller records the identity before any Raft state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "server/bootstrapped_check.h"
#include "server/cluster_config.h"

namespace regent::server {

struct JoinedCluster {
  uint64_t cluster_id = 0;
  uint64_t self_id = 0;
  std::vector<regentpb::Member> members;  // As the answering member has them.
};

// `flags_cluster`: resolve_cluster's view of the flags (this member's peer URLs, the peers'
// addresses); `name`: --name, for messages.
Expected<JoinedCluster, std::string> find_cluster_to_join(const ClusterConfig& flags_cluster,
                                                          const std::string& name,
                                                          const AskPeer& ask, Logger& logger);

// What `cluster` becomes once joined: ids and peers from the table (every member but this one,
// at its first peer URL); listen addresses stay the flags'.
ClusterConfig joined_config(ClusterConfig cluster, const JoinedCluster& joined);

}  // namespace regent::server
