// The elections and locks held in the store, found as etcd's concurrency recipes leave them:
// each candidate is a key `<name>/<lease id in hex>` attached to that very lease (etcdctl elect
// and lock, clientv3's concurrency package, etcd's and Regent's Election and Lock services, and
// Regent's C++ client all make them so), and the one with the lowest create revision under
// `<name>/` holds it. Its create revision is the fencing token (DESIGN.md; the C++ client's
// Mutex::revision() and LeaderKey::rev). An election's key holds the leader's proposal; a lock's
// is empty: that is the only difference the store shows, so an election whose proposal is
// empty is listed as a lock.
//
// Found from the lease table (the keys attached to each lease), so the cost grows with the keys
// that have leases, not with the store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/election/candidate_queue.h"
#include "server/node/state_machine.h"

namespace regent::server::http {

struct Candidacy {
  std::string name;  // The prefix without its trailing '/'.
  bool is_lock = false;
  std::string holder_key;
  std::string holder_value;   // The election's proposal; empty for a lock.
  int64_t fencing_token = 0;  // The holder key's create revision.
  int64_t lease = 0;          // The holder key's lease.
  int64_t granted_ttl = 0;    // That lease's TTL as granted, in seconds.
  size_t candidates = 0;      // Keys under the name made by the recipes, the holder's included.
};

// Ordered by name.
std::vector<Candidacy> held_candidacies(const StateMachine& machine, const CandidateQueues& queues);

}  // namespace regent::server::http
