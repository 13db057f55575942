#include "raft/message.h"

namespace regent::raft {

std::string_view to_string(MessageType type) {
  switch (type) {
    case MessageType::kPropose:
      return "Propose";
    case MessageType::kAppend:
      return "Append";
    case MessageType::kAppendResponse:
      return "AppendResponse";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResponse:
      return "VoteResponse";
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResponse:
      return "PreVoteResponse";
    case MessageType::kSnapshot:
      return "Snapshot";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResponse:
      return "HeartbeatResponse";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
    case MessageType::kReadIndex:
      return "ReadIndex";
    case MessageType::kReadIndexResponse:
      return "ReadIndexResponse";
  }
  return "Unknown";
}

bool must_persist_before_sending(MessageType type) {
  switch (type) {
    case MessageType::kVote:  // The candidate's vote for itself is part of the promise.
    case MessageType::kVoteResponse:
    case MessageType::kPreVoteResponse:
    case MessageType::kAppendResponse:
      return true;
    default:
      return false;
  }
}

}  // namespace regent::raft
