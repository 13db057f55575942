#include "server/join_cluster.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace regent::server {

namespace {

std::vector<std::string> own_peer_urls(const ClusterConfig& cluster) {
  for (const regentpb::Member& m : cluster.members) {
    if (m.id() == cluster.self_id) return {m.peer_urls().begin(), m.peer_urls().end()};
  }
  return {};
}

const regentpb::Member* find_by_peer_urls(const regentpb::MembersResponse& answer,
                                          const std::vector<std::string>& urls) {
  for (const regentpb::Member& m : answer.members()) {
    for (const std::string& url : m.peer_urls()) {
      if (std::find(urls.begin(), urls.end(), url) != urls.end()) return &m;
    }
  }
  return nullptr;
}

}  // namespace

Expected<JoinedCluster, std::string> find_cluster_to_join(const ClusterConfig& flags_cluster,
                                                          const std::string& name,
                                                          const AskPeer& ask, Logger& logger) {
  const std::vector<std::string> urls = own_peer_urls(flags_cluster);
  auto answers = ask_every_peer(flags_cluster, ask);
  std::optional<JoinedCluster> found;
  std::vector<std::string> heard;
  std::string problem;
  for (size_t i = 0; i < answers.size(); ++i) {
    const std::string& address = flags_cluster.peer_addresses[i].second;
    auto& answer = answers[i];
    if (!answer) {
      logger.info("joining: no answer from {}: {}", address, answer.error());
      continue;
    }
    heard.push_back(address);
    const regentpb::Member* self = find_by_peer_urls(*answer, urls);
    if (self == nullptr) {
      problem = fmt::format(
          "member {} (peer URLs {}) has not been added to the cluster {:x} ({} lists {} members "
          "and none has these peer URLs): add it first with `etcdctl member add {} "
          "--peer-urls={}`, then start it with --initial-cluster-state existing",
          name, fmt::join(urls, ","), answer->cluster_id(), address, answer->members_size(), name,
          fmt::join(urls, ","));
      continue;
    }
    if (found && found->cluster_id != answer->cluster_id()) {
      return unexpected(fmt::format(
          "joining: the members of --initial-cluster belong to different clusters ({:x} and "
          "{:x}, the latter at {}): refusing to choose",
          found->cluster_id, answer->cluster_id(), address));
    }
    if (!found) {
      found = JoinedCluster{
          answer->cluster_id(), self->id(), {answer->members().begin(), answer->members().end()}};
    }
  }
  if (found) {
    logger.info("joining cluster {:x} as member {:x} ({}), as {} lists it", found->cluster_id,
                found->self_id, name, fmt::join(heard, ", "));
    return *found;
  }
  if (!problem.empty()) return unexpected(problem);
  return unexpected(fmt::format(
      "--initial-cluster-state existing: no member of --initial-cluster answered on its peer "
      "port ({} asked), so there is no cluster to join; start the cluster's members first, or "
      "use --initial-cluster-state new for a new cluster",
      answers.size()));
}

ClusterConfig joined_config(ClusterConfig cluster, const JoinedCluster& joined) {
  cluster.cluster_id = joined.cluster_id;
  cluster.self_id = joined.self_id;
  cluster.members = joined.members;
  cluster.peer_addresses.clear();
  for (const regentpb::Member& m : joined.members) {
    if (m.id() == joined.self_id || m.peer_urls().empty()) continue;
    if (auto address = url_to_address(m.peer_urls(0))) {
      cluster.peer_addresses.emplace_back(m.id(), *address);
    }
  }
  return cluster;
}

}  // namespace regent::server
