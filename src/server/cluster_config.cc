#include "server/cluster_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace regent::server {

namespace {

// FNV-1a, 64 bits: stable across builds and machines, which std::hash is not.
uint64_t fnv1a(std::string_view bytes, uint64_t h = 0xcbf29ce484222325ull) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = std::min(s.find(sep, start), s.size());
    parts.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

uint64_t member_id(std::vector<std::string> peer_urls, std::string_view token) {
  std::sort(peer_urls.begin(), peer_urls.end());
  uint64_t h = 0xcbf29ce484222325ull;
  for (const std::string& url : peer_urls) h = fnv1a(url + ",", h);
  h = fnv1a(token, h);
  return h == 0 ? 1 : h;  // 0 means "nobody" in Raft.
}

uint64_t new_member_id(std::vector<std::string> peer_urls, std::string_view token,
                       int64_t unix_seconds) {
  return member_id(std::move(peer_urls), fmt::format("{},{}", token, unix_seconds));
}

uint64_t cluster_id(std::vector<uint64_t> member_ids, std::string_view token) {
  std::sort(member_ids.begin(), member_ids.end());
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t id : member_ids) h = fnv1a(fmt::format("{:016x},", id), h);
  return fnv1a(token, h);
}

Expected<std::string, std::string> url_to_address(std::string_view url) {
  const size_t scheme_end = url.find("://");
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme_end == std::string_view::npos || (scheme != "http" && scheme != "https")) {
    return unexpected(
        fmt::format("{}: not a URL (want http://host:port or https://host:port)", url));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.ends_with("/")) rest.remove_suffix(1);
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size() ||
      rest.find('/') != std::string_view::npos) {
    return unexpected(fmt::format("{}: want http://host:port", url));
  }
  const std::string_view port = rest.substr(colon + 1);
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      port.size() > 5 || std::stoi(std::string(port)) > 65535) {
    return unexpected(fmt::format("{}: bad port \"{}\"", url, port));
  }
  return std::string(rest);
}

Expected<ClusterConfig, std::string> resolve_cluster(const ClusterFlags& flags) {
  if (flags.initial_cluster_state != "new" && flags.initial_cluster_state != "existing") {
    return unexpected(fmt::format("--initial-cluster-state: \"{}\" (want \"new\" or \"existing\")",
                                  flags.initial_cluster_state));
  }
  const auto& advertise_peer = flags.initial_advertise_peer_urls.empty()
                                   ? flags.listen_peer_urls
                                   : flags.initial_advertise_peer_urls;
  std::string initial = flags.initial_cluster;
  if (initial.empty()) {
    for (const std::string& url : advertise_peer) {
      initial += (initial.empty() ? "" : ",") + flags.name + "=" + url;
    }
  }
  // name -> peer URLs, in the order given.
  std::map<std::string, std::vector<std::string>> urls_by_name;
  std::set<std::string> seen_urls;
  for (const std::string& item : split(initial, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return unexpected(
          fmt::format("--initial-cluster: \"{}\" is not name=http://host:port", item));
    }
    std::string url = item.substr(eq + 1);
    if (auto address = url_to_address(url); !address) {
      return unexpected("--initial-cluster: " + address.error());
    }
    if (!seen_urls.insert(url).second) {
      return unexpected(fmt::format("--initial-cluster: peer URL {} is given twice", url));
    }
    urls_by_name[item.substr(0, eq)].push_back(std::move(url));
  }
  auto self = urls_by_name.find(flags.name);
  if (self == urls_by_name.end()) {
    return unexpected(
        fmt::format("--initial-cluster has no member named \"{}\" (--name)", flags.name));
  }
  std::vector<std::string> mine = self->second, advertised = advertise_peer;
  std::sort(mine.begin(), mine.end());
  std::sort(advertised.begin(), advertised.end());
  if (mine != advertised) {
    return unexpected(fmt::format(
        "--initial-cluster gives {} the peer URLs {}, but --initial-advertise-peer-urls says {}",
        flags.name, fmt::join(mine, ","), fmt::join(advertised, ",")));
  }

  ClusterConfig c;
  std::vector<uint64_t> ids;
  for (const auto& [name, urls] : urls_by_name) {
    regentpb::Member m;
    m.set_id(member_id(urls, flags.initial_cluster_token));
    m.set_name(name);
    for (const std::string& url : urls) m.add_peer_urls(url);
    ids.push_back(m.id());
    if (name == flags.name) {
      c.self_id = m.id();
    } else {
      c.peer_addresses.emplace_back(m.id(), *url_to_address(urls.front()));
    }
    c.members.push_back(std::move(m));
  }
  std::sort(c.members.begin(), c.members.end(),
            [](const auto& a, const auto& b) { return a.id() < b.id(); });
  c.cluster_id = cluster_id(ids, flags.initial_cluster_token);

  if (flags.listen_peer_urls.size() != 1) {
    return unexpected(std::string("--listen-peer-urls: exactly one URL is supported"));
  }
  auto peer = url_to_address(flags.listen_peer_urls.front());
  if (!peer) return unexpected("--listen-peer-urls: " + peer.error());
  c.listen_peer_address = *peer;
  if (flags.listen_client_urls.empty())
    return unexpected(std::string("--listen-client-urls: no URL given"));
  for (const std::string& url : flags.listen_client_urls) {
    auto address = url_to_address(url);
    if (!address) return unexpected("--listen-client-urls: " + address.error());
    c.listen_client_addresses.push_back(*address);
  }
  c.advertise_client_urls =
      flags.advertise_client_urls.empty() ? flags.listen_client_urls : flags.advertise_client_urls;
  for (const std::string& url : c.advertise_client_urls) {
    if (auto address = url_to_address(url); !address) {
      return unexpected("--advertise-client-urls: " + address.error());
    }
  }
  return c;
}

}  // namespace regent::server
