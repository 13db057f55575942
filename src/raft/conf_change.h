// Membership changes (etcd's ConfChangeV2): one or more single changes applied together, either
// directly (one voter added or removed: the majorities of old and new overlap) or through a joint
// configuration (old and new majorities both required) that is left afterwards, automatically or
// by an explicit empty change.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raft/types.h"

namespace regent::raft {

enum class ConfChangeType : uint8_t { kAddNode = 0, kRemoveNode = 1, kAddLearnerNode = 2 };

struct ConfChangeSingle {
  ConfChangeType type = ConfChangeType::kAddNode;
  NodeId node_id = kNone;
  bool operator==(const ConfChangeSingle&) const = default;
};

enum class ConfChangeTransition : uint8_t {
  // A single voter change is applied directly; anything larger goes through a joint
  // configuration that the leader leaves on its own once the change is applied.
  kAuto = 0,
  // Always joint; leave automatically.
  kJointImplicit = 1,
  // Always joint; stay there until an empty ConfChange is proposed.
  kJointExplicit = 2,
};

struct ConfChange {
  ConfChangeTransition transition = ConfChangeTransition::kAuto;
  std::vector<ConfChangeSingle> changes;
  std::string context;  // Opaque to raft (the server puts the new member's URLs here).

  // An empty change means "leave the joint configuration".
  bool leave_joint() const { return changes.empty(); }
  // Whether this change enters a joint configuration, and if so whether to leave it on its own.
  bool enter_joint(bool* auto_leave) const;

  bool operator==(const ConfChange&) const = default;
};

// The byte encoding stored in kConfChange entries. Decoding rejects malformed input.
std::string encode_conf_change(const ConfChange& cc);
std::optional<ConfChange> decode_conf_change(std::string_view bytes);

}  // namespace regent::raft
