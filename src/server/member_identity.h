// Who a data directory belongs to: the member id, cluster id and name it was created with,
// recorded in <data-dir>/IDENTITY at bootstrap.
//
// Ids are derived from flags (cluster_config.h), so the same directory started with another
// --initial-cluster-token, other peer URLs or another --name would otherwise run as some other
// member, or as a stray cluster of one that never finds a leader and serves stale reads. The file
// pins the directory to its identity: a start whose flags give another one is refused, naming
// both.
//
// Invariants:
//  - The file is written whole or not at all (storage::write_file_atomically: temporary file,
//    fsync, rename, fsync of the directory), before the directory holds any Raft state, and never
//    changed after.
//  - A directory holding data but no file (created before the file existed) gets one on its first
//    start, from the flags, but only if its Raft configuration counts the flags' member id among
//    its voters: flags that name a member this data never belonged to are refused.
//  - An unreadable or malformed file refuses the start; it is never rewritten.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/expected.h"
#include "common/logger.h"
#include "storage/fs.h"

namespace regent::server {

inline constexpr std::string_view kIdentityFileName = "IDENTITY";

struct MemberIdentity {
  uint64_t member_id = 0;
  uint64_t cluster_id = 0;
  std::string name;

  bool operator==(const MemberIdentity&) const = default;
};

// "member 8e9e05c52164694d (name \"n1\") of cluster cdf818194e3a8c32": ids in hex, as etcd shows
// them.
std::string describe(const MemberIdentity& id);

// The file's text: three "key value" lines (member_id and cluster_id in 16 hex digits, name).
std::string encode_identity(const MemberIdentity& id);
// Refuses anything but exactly what encode_identity writes.
Expected<MemberIdentity, std::string> decode_identity(std::string_view text);

// The identity recorded in dir; nullopt when dir has no identity file.
Expected<std::optional<MemberIdentity>, std::string> read_identity(storage::Fs& fs,
                                                                   const std::string& dir);
Expected<void, std::string> write_identity(storage::Fs& fs, const std::string& dir,
                                           const MemberIdentity& id);

// Refuses a start whose flags give another identity than the one recorded for dir.
Expected<void, std::string> check_identity(const MemberIdentity& recorded,
                                           const MemberIdentity& flags, std::string_view dir);

// What a start does with dir's identity before it uses the data:
//  - a recorded identity must equal the flags' (check_identity);
//  - a directory with data (`has_data`) but no file gets one, if `voters` (its Raft
//    configuration) holds the flags' member id; it is logged;
//  - a fresh directory gets nothing here: the caller writes the file once it decided to
//    bootstrap (write_identity).
// Returns whether dir has a recorded identity afterwards.
Expected<bool, std::string> establish_identity(storage::Fs& fs, const std::string& dir,
                                               const MemberIdentity& flags, bool has_data,
                                               const std::set<uint64_t>& voters, Logger& logger);

}  // namespace regent::server
