// The Transport over gRPC: a listener (PeerReceiver behind a grpc::Server) and one PeerSender per
// peer. Transport::start builds it.
//
// stop() joins the threads that make Handler calls, so it must not be called from inside one.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "transport/members_service.h"
#include "transport/peer_receiver.h"
#include "transport/peer_sender.h"
#include "transport/transport.h"

namespace regent::transport {

class GrpcTransport final : public Transport {
 public:
  static Expected<std::unique_ptr<Transport>, std::string> start(const Options& options,
                                                                 Handler& handler, Logger& logger);
  ~GrpcTransport() override;

  void send(std::vector<raft::Message> messages) override;
  void stop() override;
  void update_peers(const std::vector<PeerAddress>& peers) override;
  int bound_port() const override { return port_; }
  bool connected(raft::NodeId peer) const override;

 private:
  GrpcTransport(const Options& options, Handler& handler, Logger& logger);
  Expected<void, std::string> listen();

  const Options options_;  // PeerSenders keep a reference: declared before them.
  Handler& handler_;
  Logger& logger_;
  PeerReceiver receiver_;
  std::unique_ptr<MembersService> members_service_;  // Only if options.members is set.
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  // Changed only by update_peers(), under senders_mu_ (send() takes it shared).
  mutable std::shared_mutex senders_mu_;
  std::map<raft::NodeId, std::unique_ptr<PeerSender>> senders_;
  // Senders of peers forgotten or moved: asked to stop, joined by stop() (joining on the caller's
  // thread could hold it up for a stream's deadline).
  std::vector<std::unique_ptr<PeerSender>> retired_;

  std::mutex stop_mu_;  // Held through stop(), so a second caller returns only when it is done.
  bool stopped_ = false;
  std::mutex unknown_mu_;
  std::set<raft::NodeId> unknown_peers_logged_;
};

}  // namespace regent::transport
