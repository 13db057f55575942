#include "raft/errors.h"

namespace regent::raft {

std::string_view to_string(Error e) {
  switch (e) {
    case Error::kOk:
      return "ok";
    case Error::kNoLeader:
      return "no leader";
    case Error::kNotLeader:
      return "not leader";
    case Error::kTransferInProgress:
      return "leadership transfer in progress";
    case Error::kTooManyUncommitted:
      return "too many uncommitted proposals";
    case Error::kConfChangePending:
      return "a membership change is already pending";
    case Error::kInvalidConfChange:
      return "invalid membership change";
    case Error::kNotPromotable:
      return "member is not promotable";
    case Error::kUnknownPeer:
      return "unknown peer";
  }
  // Only reachable through a cast of an out-of-range value.
  return "unknown error";
}

}  // namespace regent::raft
