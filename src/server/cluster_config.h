// The cluster a member belongs to, from etcd-style flags: who the members are (names and peer
// URLs from --initial-cluster), their ids, the cluster id, and where to listen.
//
// Ids are derived as etcd derives them, from what identifies a member (its sorted peer URLs and
// the cluster token) and what identifies the cluster (its members' ids and the token), so every
// member computes the same ids from the same flags, and two clusters started with different
// tokens refuse each other's peers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "regentpb/request.pb.h"

namespace regent::server {

struct ClusterFlags {
  std::string name = "default";
  std::vector<std::string> listen_client_urls{"http://127.0.0.1:2379"};
  std::vector<std::string> advertise_client_urls;  // Empty: the listen URLs.
  std::vector<std::string> listen_peer_urls{"http://127.0.0.1:2380"};
  std::vector<std::string> initial_advertise_peer_urls;  // Empty: the listen URLs.
  std::string initial_cluster;                           // Empty: "<name>=<advertised peer URLs>".
  std::string initial_cluster_token = "etcd-cluster";
  std::string initial_cluster_state = "new";
};

struct ClusterConfig {
  uint64_t cluster_id = 0;
  uint64_t self_id = 0;
  std::vector<regentpb::Member> members;  // Sorted by id; client URLs empty (published later).
  std::vector<std::string> listen_client_addresses;  // host:port
  std::vector<std::string> advertise_client_urls;
  std::string listen_peer_address;  // host:port
  // host:port of every other member's first peer URL, by id.
  std::vector<std::pair<uint64_t, std::string>> peer_addresses;
};

// Errors name the flag and the value at fault, e.g.
// "--initial-cluster: \"n1\" has no URL (want name=http://host:port)".
Expected<ClusterConfig, std::string> resolve_cluster(const ClusterFlags& flags);

// "http://127.0.0.1:2379" or "https://127.0.0.1:2379" -> "127.0.0.1:2379". Which of the two a
// URL is decides whether it is served with TLS (member_security.h).
Expected<std::string, std::string> url_to_address(std::string_view url);

uint64_t member_id(std::vector<std::string> peer_urls, std::string_view token);
// The id of a member added to a running cluster (MemberAdd): from its peer URLs, the cluster
// token and the time of the request, as etcd derives it (etcd hashes them with SHA-1; the hash
// here is the FNV-1a of member_id), so that a member removed and added again with the same URLs
// gets a new id and its old data directory cannot pass for the new member.
uint64_t new_member_id(std::vector<std::string> peer_urls, std::string_view token,
                       int64_t unix_seconds);
uint64_t cluster_id(std::vector<uint64_t> member_ids, std::string_view token);

}  // namespace regent::server
