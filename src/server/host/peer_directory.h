// Keeps the transport's peers equal to the member table (a NodeObserver, on the loop thread):
// when a membership change applies, or a snapshot or restart brings a table, every member but
// this one is a peer at its first peer URL. So a member added through the Cluster API is reached
// from the index its entry applies at, on every member alike, and a removed one is forgotten.
// The table, not --initial-cluster, is the truth once a member runs: a member restarted after
// changes reaches the members the log says, whatever its flags say.
//
// It also carries this member's own removal to the host (`on_removed`), which stops the member.
#pragma once

#include <functional>
#include <vector>

#include "common/logger.h"
#include "server/node/node_core.h"
#include "transport/transport.h"

namespace regent::server {

class PeerDirectory final : public NodeObserver {
 public:
  using Removed = std::function<void(raft::Index)>;
  PeerDirectory(raft::NodeId self, transport::Transport& transport, Removed removed, Logger& logger)
      : self_(self), transport_(transport), removed_(std::move(removed)), logger_(logger) {}

  void on_members(const std::vector<regentpb::Member>& members) override;
  void on_removed(raft::Index index) override { removed_(index); }

 private:
  const raft::NodeId self_;
  transport::Transport& transport_;
  Removed removed_;
  Logger& logger_;
};

}  // namespace regent::server
