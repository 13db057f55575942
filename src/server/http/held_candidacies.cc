#include "server/http/held_candidacies.h"

#include <fmt/format.h>

#include <map>

namespace regent::server::http {

std::vector<Candidacy> held_candidacies(const StateMachine& machine,
                                        const CandidateQueues& queues) {
  // Prefix (with its '/') -> candidates under it; lease -> TTL as granted.
  using Found = std::pair<std::map<std::string, size_t>, std::map<int64_t, int64_t>>;
  const Found found = machine.read([](const kv::Store& store) {
    Found f;
    for (const auto& [id, lease] : store.leases().all()) {
      const std::string suffix = fmt::format("/{:x}", id);
      for (const std::string& key : lease.keys) {
        if (key.size() <= suffix.size() || !key.ends_with(suffix)) continue;
        ++f.first[key.substr(0, key.size() - suffix.size() + 1)];
        f.second[id] = lease.ttl;
      }
    }
    return f;
  });
  std::vector<Candidacy> out;
  for (const auto& [prefix, count] : found.first) {
    const std::optional<kv::KeyValue> head = queues.head(prefix);
    if (!head) continue;  // Deleted since the scan.
    const auto ttl = found.second.find(head->lease);
    out.push_back(Candidacy{.name = prefix.substr(0, prefix.size() - 1),
                            .is_lock = head->value.empty(),
                            .holder_key = head->key,
                            .holder_value = head->value,
                            .fencing_token = head->create_revision,
                            .lease = head->lease,
                            .granted_ttl = ttl != found.second.end() ? ttl->second : 0,
                            .candidates = count});
  }
  return out;
}

}  // namespace regent::server::http
