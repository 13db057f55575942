#include "server/bootstrapped_check.h"

#include <fmt/format.h>

#include <future>
#include <vector>

namespace regent::server {

namespace {

std::string name_of(const ClusterConfig& cluster, uint64_t id) {
  for (const regentpb::Member& m : cluster.members) {
    if (m.id() == id) return m.name();
  }
  return fmt::format("{:x}", id);
}

const regentpb::Member* find_member(const regentpb::MembersResponse& answer, uint64_t id) {
  for (const regentpb::Member& m : answer.members()) {
    if (m.id() == id) return &m;
  }
  return nullptr;
}

}  // namespace

std::vector<Expected<regentpb::MembersResponse, std::string>> ask_every_peer(
    const ClusterConfig& cluster, const AskPeer& ask) {
  std::vector<std::future<Expected<regentpb::MembersResponse, std::string>>> pending;
  for (const auto& [id, address] : cluster.peer_addresses) {
    pending.push_back(std::async(std::launch::async, ask, address));
  }
  std::vector<Expected<regentpb::MembersResponse, std::string>> answers;
  answers.reserve(pending.size());
  for (auto& p : pending) answers.push_back(p.get());
  return answers;
}

Expected<void, std::string> check_not_bootstrapped(const ClusterConfig& cluster,
                                                   std::string_view data_dir, const AskPeer& ask,
                                                   Logger& logger) {
  const auto answers = ask_every_peer(cluster, ask);
  size_t answered = 0;
  for (size_t i = 0; i < answers.size(); ++i) {
    const auto& [peer_id, address] = cluster.peer_addresses[i];
    const auto& answer = answers[i];
    if (!answer) {
      logger.debug("bootstrap check: no answer from {}: {}", name_of(cluster, peer_id),
                   answer.error());
      continue;
    }
    if (answer->cluster_id() != cluster.cluster_id) {
      logger.warn("bootstrap check: {} ({}) belongs to cluster {:x}, not {:x}; ignoring it",
                  name_of(cluster, peer_id), address, answer->cluster_id(), cluster.cluster_id);
      continue;
    }
    ++answered;
    const regentpb::Member* self = find_member(*answer, cluster.self_id);
    if (self == nullptr || self->client_urls().empty()) continue;
    return unexpected(fmt::format(
        "member {:x} has already been bootstrapped: {} ({}) of cluster {:x} lists it with client "
        "URLs {}, but its data directory {} is empty. A member that lost its data must not start "
        "again as a new one (it would vote with none of the cluster's data). Restore the data "
        "directory, or replace the member: remove it from the cluster (member remove {:x}), add "
        "it again (member add) and start it with --initial-cluster-state existing on an empty "
        "data directory",
        cluster.self_id, name_of(cluster, peer_id), address, cluster.cluster_id,
        fmt::join(self->client_urls(), ","), data_dir, cluster.self_id));
  }
  logger.info("bootstrap check: {} of {} peers answered; none knows member {:x} as bootstrapped",
              answered, answers.size(), cluster.self_id);
  return {};
}

}  // namespace regent::server
