#include "server/host/peer_directory.h"

#include "server/cluster_config.h"

namespace regent::server {

void PeerDirectory::on_members(const std::vector<regentpb::Member>& members) {
  // An empty table is a member that joined and has not received the leader's snapshot yet:
  // its peers are still the ones it found at start-up.
  if (members.empty()) return;
  std::vector<transport::PeerAddress> peers;
  for (const regentpb::Member& m : members) {
    if (m.id() == self_ || m.peer_urls().empty()) continue;
    auto address = url_to_address(m.peer_urls(0));
    if (!address) {
      logger_.warn("member {:x}: peer URL {} unusable: {}", m.id(), m.peer_urls(0),
                   address.error());
      continue;
    }
    peers.push_back({m.id(), *address});
  }
  transport_.update_peers(peers);
}

}  // namespace regent::server
