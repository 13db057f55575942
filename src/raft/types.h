// Plain data types of the consensus core: log entries, hard state, configuration, snapshots.
//
// These are the core's own structs, not generated protobuf: raft/ must build and run with no
// serialization library, so that the simulator drives exactly the code that runs in production.
// transport/ and storage/ convert them to and from their wire and disk formats.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace regent::raft {

using Term = uint64_t;
using Index = uint64_t;
using NodeId = uint64_t;

// No node has id 0; it means "nobody" (no vote cast, no leader known).
inline constexpr NodeId kNone = 0;

// Indexes a peer may name. Far beyond any real log (2^62 entries), and low enough that index
// arithmetic (last + 1, next - 1) can never wrap; larger ones mark a message as malformed.
inline constexpr Index kMaxIndex = Index{1} << 62;

enum class EntryType : uint8_t {
  kNormal = 0,      // Application data; an empty one is the leader's no-op.
  kConfChange = 1,  // An encoded ConfChange (see conf_change.h).
};

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;

  // Bytes this entry occupies for flow control and size limits: its payload plus a fixed
  // per-entry overhead, so that empty entries are not free.
  uint64_t size() const { return data.size() + kOverheadBytes; }
  static constexpr uint64_t kOverheadBytes = 24;

  bool operator==(const Entry&) const = default;
};

uint64_t entries_size(const std::vector<Entry>& entries);
// Payload bytes only: what the uncommitted-size limit counts (the no-op is free).
uint64_t payload_size(const std::vector<Entry>& entries);

// State that must be on stable storage before any message that depends on it is sent.
struct HardState {
  Term term = 0;
  NodeId vote = kNone;
  Index commit = 0;

  bool empty() const { return term == 0 && vote == kNone && commit == 0; }
  bool operator==(const HardState&) const = default;
};

// A membership configuration as stored in snapshots and returned by apply_conf_change.
// In a joint configuration, voters_outgoing is non-empty; learners_next are learners that were
// voters in the outgoing half and become learners when the joint configuration is left.
struct ConfState {
  std::set<NodeId> voters;
  std::set<NodeId> learners;
  std::set<NodeId> voters_outgoing;
  std::set<NodeId> learners_next;
  bool auto_leave = false;

  bool operator==(const ConfState&) const = default;
};

struct SnapshotMetadata {
  ConfState conf_state;
  Index index = 0;
  Term term = 0;

  bool operator==(const SnapshotMetadata&) const = default;
};

struct Snapshot {
  std::string data;
  SnapshotMetadata metadata;

  bool empty() const { return metadata.index == 0; }
  bool operator==(const Snapshot&) const = default;
};

}  // namespace regent::raft
