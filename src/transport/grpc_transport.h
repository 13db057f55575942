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
  int bound_port() const override { return port_; }
  bool connected(raft::NodeId peer) const override;

 private:
  GrpcTransport(const Options& options, Handler& handler, Logger& logger);
  Expected<void, std::string> listen();

  const Options options_;  // PeerSenders keep a reference: declared before them.
  Logger& logger_;
  PeerReceiver receiver_;
  std::unique_ptr<MembersService> members_service_;  // Only if options.members is set.
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::map<raft::NodeId, std::unique_ptr<PeerSender>> senders_;  // Fixed once started.

  std::mutex stop_mu_;  // Held through stop(), so a second caller returns only when it is done.
  bool stopped_ = false;
  std::mutex unknown_mu_;
  std::set<raft::NodeId> unknown_peers_logged_;
};

}  // namespace regent::transport
