// etcd's isMemberBootstrapped: before a member bootstraps an empty data directory as
// --initial-cluster-state new, it asks its peers whether the cluster already knows it. If one of
// this cluster answers that the member has published its client URLs (which a member does
// through the log once it first ran), the member ran before and lost its data: starting it afresh
// would give the cluster an empty voter that acknowledges writes it never saw, so the start is
// refused ("member <id> has already been bootstrapped").
//
// Invariants:
//  - Every peer is asked at once, each call bounded by the caller's `ask` (a timeout), so the
//    check takes at most about one timeout. A peer that does not answer (not started yet, as when
//    a whole new cluster starts together) or belongs to another cluster (another cluster id)
//    counts as no evidence: the start proceeds.
//  - Only this cluster's answer that the member has client URLs refuses the start.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "regentpb/peer.pb.h"
#include "server/cluster_config.h"

namespace regent::server {

// Asks the peer listening at address (host:port) for its member table.
using AskPeer =
    std::function<Expected<regentpb::MembersResponse, std::string>(const std::string& address)>;

// Asks every peer of `cluster.peer_addresses` at once (each bounded by `ask`); the answers in
// the same order. The bootstrap, join and removed checks all ask this way.
std::vector<Expected<regentpb::MembersResponse, std::string>> ask_every_peer(
    const ClusterConfig& cluster, const AskPeer& ask);

Expected<void, std::string> check_not_bootstrapped(const ClusterConfig& cluster,
                                                   std::string_view data_dir, const AskPeer& ask,
                                                   Logger& logger);

}  // namespace regent::server
