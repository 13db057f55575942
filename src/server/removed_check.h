// Whether this member was removed from its cluster while it was down. A member that is running
// when its removal applies marks its data directory (server.cc, REMOVED) and stops; one removed
// while it was down (the runbook: a machine dead for good is removed, then comes back) learns it
// only from its peers. At every restart of a data directory, the peers it knows are asked for
// their member table (PeerInfo.Members, as the bootstrap check does): if a majority of the
// cluster as it knows it answers, for this cluster, and none lists this member, it was removed,
// and the start is refused, so that it never votes or acknowledges as a member the cluster no
// longer counts.
//
// Invariants:
//  - Only a majority of same-cluster answers without this member refuses: a lagging peer that
//    has not applied this member's addition yet cannot refuse it alone, and peers that are down
//    (a whole cluster restarting) are no evidence.
//  - Every peer is asked at once, each bounded by `ask`.
#pragma once

#include <string>
#include <string_view>

#include "common/expected.h"
#include "common/logger.h"
#include "server/bootstrapped_check.h"
#include "server/cluster_config.h"

namespace regent::server {

// `cluster`: this member's ids and the peers it knows. Refuses (with the reason) if removed.
Expected<void, std::string> check_not_removed(const ClusterConfig& cluster,
                                              std::string_view data_dir, const AskPeer& ask,
                                              Logger& logger);

}  // namespace regent::server
