// What passes between the transport and the member, shown to the leader change log
// (leader_change_log.h) on its way: the log needs the messages that reveal a transfer or an
// election, the reports of a peer's process gone, and the pre-votes this member grants, without
// the Raft loop knowing about it. HandlerTap sits in front of the member as the transport's
// Handler; TransportTap in front of the transport as the member's Transport.
#pragma once

#include <functional>

#include "server/host/leader_change_log.h"
#include "transport/transport.h"

namespace regent::server {

class HandlerTap final : public transport::Handler {
 public:
  // removed: told when a peer refuses this member's stream because it was removed.
  HandlerTap(transport::Handler& member, LeaderChangeLog& log,
             std::function<void(raft::NodeId)> removed = nullptr)
      : member_(member), log_(log), removed_(std::move(removed)) {}

  void on_messages(std::vector<raft::Message> messages) override {
    log_.note_received(messages);
    member_.on_messages(std::move(messages));
  }
  void on_unreachable(raft::NodeId peer) override { member_.on_unreachable(peer); }
  void on_peer_down(raft::NodeId peer) override {
    log_.note_peer_down(peer);
    member_.on_peer_down(peer);
  }
  void on_snapshot_sent(raft::NodeId peer, bool ok) override { member_.on_snapshot_sent(peer, ok); }
  void on_removed_by(raft::NodeId peer) override {
    if (removed_) removed_(peer);
  }

 private:
  transport::Handler& member_;
  LeaderChangeLog& log_;
  std::function<void(raft::NodeId)> removed_;
};

class TransportTap final : public transport::Transport {
 public:
  TransportTap(transport::Transport& transport, LeaderChangeLog& log)
      : transport_(transport), log_(log) {}

  void send(std::vector<raft::Message> messages) override {
    log_.note_sent(messages);
    transport_.send(std::move(messages));
  }
  void stop() override { transport_.stop(); }
  void update_peers(const std::vector<transport::PeerAddress>& peers) override {
    transport_.update_peers(peers);
  }
  int bound_port() const override { return transport_.bound_port(); }
  bool connected(raft::NodeId peer) const override { return transport_.connected(peer); }

 private:
  transport::Transport& transport_;
  LeaderChangeLog& log_;
};

}  // namespace regent::server
