// The store's lease requests and answers, mirroring etcd v3's Lease messages where the log
// carries them (LeaseGrant, LeaseRevoke, LeaseCheckpoint). KeepAlive and TimeToLive are not
// here: they ask about time, which only the leader's lessor (server/lease/lessor.h) keeps.
#pragma once

#include <cstdint>
#include <vector>

namespace regent::kv {

struct LeaseGrantRequest {
  int64_t id = 0;   // Chosen before proposing (server/), so every member grants the same one.
  int64_t ttl = 0;  // Seconds; etcd's minimum TTL is applied before proposing too.

  bool operator==(const LeaseGrantRequest&) const = default;
};

struct LeaseGrantResponse {
  int64_t revision = 0;  // Unchanged: a grant is not a change of any key.
  int64_t id = 0;
  int64_t ttl = 0;

  bool operator==(const LeaseGrantResponse&) const = default;
};

struct LeaseRevokeRequest {
  int64_t id = 0;

  bool operator==(const LeaseRevokeRequest&) const = default;
};

struct LeaseRevokeResponse {
  int64_t revision = 0;  // The revision of the deletes; unchanged if no key was attached.

  bool operator==(const LeaseRevokeResponse&) const = default;
};

// One lease's remaining TTL, as the leader measured it (etcd's LeaseCheckpoint).
struct LeaseCheckpoint {
  int64_t id = 0;
  int64_t remaining_ttl = 0;  // Seconds; 0: back to the full TTL (the lease was renewed).

  bool operator==(const LeaseCheckpoint&) const = default;
};

struct LeaseCheckpointRequest {
  std::vector<LeaseCheckpoint> checkpoints;

  bool operator==(const LeaseCheckpointRequest&) const = default;
};

struct LeaseCheckpointResponse {
  int64_t revision = 0;  // Unchanged.

  bool operator==(const LeaseCheckpointResponse&) const = default;
};

}  // namespace regent::kv
