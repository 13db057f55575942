// Expected outcomes of requests to the consensus core. These are values, never exceptions.
#pragma once

#include <string_view>

namespace regent::raft {

enum class Error {
  kOk = 0,
  kNoLeader,            // No leader is known to forward the request to.
  kNotLeader,           // Forwarding is disabled and this member does not lead.
  kTransferInProgress,  // Leadership is moving; proposals are dropped until it lands.
  kTooManyUncommitted,  // The uncommitted-bytes limit is reached: back off and retry.
  kConfChangePending,   // An earlier membership change has not been applied yet.
  kInvalidConfChange,   // The change does not apply to the current configuration.
  kNotPromotable,       // Learners and removed members may not campaign.
  kUnknownPeer,         // The message names a member this node does not know.
};

std::string_view to_string(Error e);

}  // namespace regent::raft
