// Messages exchanged between members.
//
// One flat struct for every type, as in etcd's raftpb.Message: the fields a type does not use stay
// zero. Only network messages exist here; what the local node asks for (campaign, propose, read,
// transfer, report a peer unreachable) is a method on RawNode, never a message it could receive
// from a peer by mistake.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "raft/types.h"

namespace regent::raft {

enum class MessageType : uint8_t {
  kPropose = 0,         // A follower forwards proposals (entries) to the leader.
  kAppend = 1,          // Leader -> follower: entries after (index, log_term), and commit.
  kAppendResponse = 2,  // index = last index matched, or on reject the rejected index + hint.
  kVote = 3,
  kVoteResponse = 4,
  kPreVote = 5,  // Carries term + 1 without the sender having changed its term.
  kPreVoteResponse = 6,
  kSnapshot = 7,  // Leader -> follower that is behind the leader's compaction point.
  kHeartbeat = 8,
  kHeartbeatResponse = 9,
  kTimeoutNow = 10,  // Leader -> transfer target: campaign now, skipping pre-vote.
  kReadIndex = 11,   // Follower -> leader: a linearizable read request (context in entries[0]).
  kReadIndexResponse = 12,  // Leader -> follower: index in `index`, context in entries[0].
};

std::string_view to_string(MessageType type);

// Responses to these may only be sent once the sender's hard state and entries are durable: a
// vote is a promise, an append acknowledgement counts toward commit.
bool must_persist_before_sending(MessageType type);

struct Message {
  MessageType type = MessageType::kAppend;
  NodeId to = kNone;
  NodeId from = kNone;
  Term term = 0;
  // kAppend: term of the entry at `index`. kAppendResponse reject: term of the follower's hint.
  // kVote/kPreVote: term of the candidate's last entry.
  Term log_term = 0;
  Index index = 0;
  std::vector<Entry> entries;
  Index commit = 0;
  Snapshot snapshot;  // Only for kSnapshot.
  bool reject = false;
  Index reject_hint = 0;
  // kHeartbeat(Response): the read-index context being confirmed. kVote: kCampaignTransfer when
  // the election was triggered by a leadership transfer (overrides a follower's leader lease).
  std::string context;

  bool operator==(const Message&) const = default;
};

inline constexpr std::string_view kCampaignTransfer = "CampaignTransfer";

}  // namespace regent::raft
