// The status page's questions to its own member, asked as a client would ask them, through
// the server's in-process channel (the gateway's): so a lease's TTL comes from the leader's
// lessor (a follower's Lease service forwards it) and the alarms are exactly what etcd's Alarm
// API answers. Each call waits at most kCallDeadline.
#pragma once

#include <grpcpp/channel.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"

namespace regent::server::http {

inline constexpr std::chrono::milliseconds kCallDeadline{1000};

// Seconds left on the lease (-1: it no longer exists, as etcd answers); nullopt if the member
// could not say (no leader, timeout).
std::optional<int64_t> lease_ttl_left(grpc::Channel& channel, int64_t lease);

struct Alarm {
  std::string member_id;  // Hex, as etcd shows member ids.
  std::string alarm;      // etcd's AlarmType name: NOSPACE, CORRUPT.
};
Expected<std::vector<Alarm>, std::string> list_alarms(grpc::Channel& channel);

}  // namespace regent::server::http
