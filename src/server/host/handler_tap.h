// What the transport reports, shown to the leader change log (leader_change_log.h) on its way
// to the member: the log needs the messages that reveal a transfer or an election, and the
// reports of a peer's process gone, as they arrive, without the Raft loop knowing about it.
#pragma once

#include "server/host/leader_change_log.h"
#include "transport/transport.h"

namespace regent::server {

class HandlerTap final : public transport::Handler {
 public:
  HandlerTap(transport::Handler& member, LeaderChangeLog& log) : member_(member), log_(log) {}

  void on_messages(std::vector<raft::Message> messages) override {
    log_.note_messages(messages);
    member_.on_messages(std::move(messages));
  }
  void on_unreachable(raft::NodeId peer) override { member_.on_unreachable(peer); }
  void on_peer_down(raft::NodeId peer) override {
    log_.note_peer_down(peer);
    member_.on_peer_down(peer);
  }
  void on_snapshot_sent(raft::NodeId peer, bool ok) override { member_.on_snapshot_sent(peer, ok); }

 private:
  transport::Handler& member_;
  LeaderChangeLog& log_;
};

}  // namespace regent::server
