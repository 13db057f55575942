#include "server/removed_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace regent::server {

Expected<void, std::string> check_not_removed(const ClusterConfig& cluster,
                                              std::string_view data_dir, const AskPeer& ask,
                                              Logger& logger) {
  const auto answers = ask_every_peer(cluster, ask);
  size_t without_me = 0;
  std::vector<std::string> who;
  for (size_t i = 0; i < answers.size(); ++i) {
    const auto& answer = answers[i];
    if (!answer || answer->cluster_id() != cluster.cluster_id) continue;
    const bool listed =
        std::any_of(answer->members().begin(), answer->members().end(),
                    [&](const regentpb::Member& m) { return m.id() == cluster.self_id; });
    if (listed) return {};  // One member that knows it is enough: it was added and not removed.
    ++without_me;
    who.push_back(cluster.peer_addresses[i].second);
  }
  const size_t majority = (cluster.peer_addresses.size() + 1) / 2 + 1;
  if (without_me == 0 || without_me < majority) return {};
  logger.warn("removed check: {} of the cluster's members ({}) do not list member {:x}", without_me,
              fmt::join(who, ", "), cluster.self_id);
  return unexpected(fmt::format(
      "member {:x} was removed from cluster {:x} ({} no longer list it): a removed member cannot "
      "run again with its old identity. Move {} aside, add the machine again (etcdctl member "
      "add) and start it on an empty data directory with --initial-cluster-state existing",
      cluster.self_id, cluster.cluster_id, fmt::join(who, ", "), data_dir));
}

}  // namespace regent::server
