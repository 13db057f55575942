#include "transport/grpc_transport.h"

#include <fmt/format.h>

#include <chrono>
#include <climits>
#include <utility>

namespace regent::transport {
namespace {

// Room in one received message beyond the batch or chunk it carries: the header, the framing,
// and a kSnapshot message's metadata.
constexpr uint64_t kReceiveHeadroomBytes = 1 << 20;

Expected<void, std::string> validate(const Options& options) {
  if (options.self == raft::kNone) return unexpected(std::string("self must not be 0"));
  if (options.listen_address.empty()) return unexpected(std::string("empty listen address"));
  if (options.max_batch_bytes == 0 || options.snapshot_chunk_bytes == 0 ||
      options.max_queued_messages == 0) {
    return unexpected(std::string(
        "max_batch_bytes, snapshot_chunk_bytes and max_queued_messages must be positive"));
  }
  if (options.max_batch_bytes + options.snapshot_chunk_bytes + kReceiveHeadroomBytes > INT_MAX) {
    return unexpected(fmt::format(
        "max_batch_bytes ({}) plus snapshot_chunk_bytes ({}) exceed what gRPC can receive",
        options.max_batch_bytes, options.snapshot_chunk_bytes));
  }
  if (options.min_backoff.count() <= 0 || options.max_backoff < options.min_backoff) {
    return unexpected(fmt::format("backoff must satisfy 0 < min ({}ms) <= max ({}ms)",
                                  options.min_backoff.count(), options.max_backoff.count()));
  }
  std::set<raft::NodeId> seen;
  for (const PeerAddress& peer : options.peers) {
    if (peer.id == raft::kNone) return unexpected(std::string("a peer has id 0"));
    if (peer.id == options.self) {
      return unexpected(fmt::format("peer {:x} is this member itself", peer.id));
    }
    if (!seen.insert(peer.id).second) {
      return unexpected(fmt::format("peer {:x} is listed twice", peer.id));
    }
    if (peer.address.empty()) {
      return unexpected(fmt::format("peer {:x} has an empty address", peer.id));
    }
  }
  return {};
}

}  // namespace

Expected<std::unique_ptr<Transport>, std::string> Transport::start(const Options& options,
                                                                   Handler& handler,
                                                                   Logger& logger) {
  return GrpcTransport::start(options, handler, logger);
}

Expected<std::unique_ptr<Transport>, std::string> GrpcTransport::start(const Options& options,
                                                                       Handler& handler,
                                                                       Logger& logger) {
  if (auto valid = validate(options); !valid) {
    return unexpected(fmt::format("transport: {}", valid.error()));
  }
  std::unique_ptr<GrpcTransport> transport(new GrpcTransport(options, handler, logger));
  if (auto listening = transport->listen(); !listening) return unexpected(listening.error());
  for (auto& [id, sender] : transport->senders_) sender->start();
  logger.info("transport: member {:x} of cluster {:x} listening on {} (port {}), {} peers",
              options.self, options.cluster_id, options.listen_address, transport->port_,
              options.peers.size());
  return std::unique_ptr<Transport>(std::move(transport));
}

GrpcTransport::GrpcTransport(const Options& options, Handler& handler, Logger& logger)
    : options_(options),
      handler_(handler),
      logger_(logger),
      receiver_(options.cluster_id, options.self, handler, logger, options.is_removed) {
  for (const PeerAddress& peer : options_.peers) {
    senders_.emplace(peer.id, std::make_unique<PeerSender>(options_, peer, handler, logger));
  }
}

GrpcTransport::~GrpcTransport() { stop(); }

Expected<void, std::string> GrpcTransport::listen() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(
      options_.listen_address,
      options_.server_credentials ? options_.server_credentials : grpc::InsecureServerCredentials(),
      &port_);
  builder.RegisterService(&receiver_);
  if (options_.members) {
    members_service_ =
        std::make_unique<MembersService>(options_.cluster_id, options_.members, options_.hash_kv);
    builder.RegisterService(members_service_.get());
  }
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      options_.max_batch_bytes + options_.snapshot_chunk_bytes + kReceiveHeadroomBytes));
  // gRPC sets SO_REUSEPORT by default, which would let a second member bind a port in use.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Senders ping every second (peer_sender.cc) so that a dead peer is noticed; by default the
  // server would take that for abuse and close the connection.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 500);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // And the listener pings too, so that a stream from a vanished sender frees its thread.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 2000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 2000);
  // A connection that never completes the HTTP/2 handshake (a port scan, stray bytes) is
  // dropped after this rather than gRPC's 120 s.
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10000);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return unexpected(fmt::format("transport: cannot listen on {}", options_.listen_address));
  }
  return {};
}

void GrpcTransport::send(std::vector<raft::Message> messages) {
  std::shared_lock senders_lock(senders_mu_);
  for (raft::Message& message : messages) {
    auto it = senders_.find(message.to);
    if (it != senders_.end()) {
      it->second->enqueue(std::move(message));
      continue;
    }
    bool first = false;
    {
      std::lock_guard lock(unknown_mu_);
      first = unknown_peers_logged_.insert(message.to).second;
    }
    if (first) {
      logger_.warn("transport: dropping messages to unknown peer {:x} (first: {})", message.to,
                   raft::to_string(message.type));
    }
  }
}

void GrpcTransport::update_peers(const std::vector<PeerAddress>& peers) {
  std::lock_guard stop_lock(stop_mu_);
  if (stopped_) return;
  receiver_.membership_changed();
  std::unique_lock lock(senders_mu_);
  std::map<raft::NodeId, const PeerAddress*> wanted;
  for (const PeerAddress& peer : peers) {
    if (peer.id != options_.self && peer.id != raft::kNone && !peer.address.empty()) {
      wanted[peer.id] = &peer;
    }
  }
  for (auto it = senders_.begin(); it != senders_.end();) {
    auto w = wanted.find(it->first);
    if (w != wanted.end() && w->second->address == it->second->address()) {
      ++it;
      continue;
    }
    logger_.info("transport: {} peer {:x} at {}", w == wanted.end() ? "forgetting" : "moving",
                 it->first, it->second->address());
    it->second->request_stop();
    retired_.push_back(std::move(it->second));
    it = senders_.erase(it);
  }
  for (const auto& [id, peer] : wanted) {
    if (senders_.contains(id)) continue;
    logger_.info("transport: new peer {:x} at {}", id, peer->address);
    auto sender = std::make_unique<PeerSender>(options_, *peer, handler_, logger_);
    sender->start();
    senders_.emplace(id, std::move(sender));
    std::lock_guard unknown_lock(unknown_mu_);
    unknown_peers_logged_.erase(id);
  }
}

bool GrpcTransport::connected(raft::NodeId peer) const {
  std::shared_lock lock(senders_mu_);
  auto it = senders_.find(peer);
  return it != senders_.end() && it->second->connected();
}

void GrpcTransport::stop() {
  std::lock_guard lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  // Every sender starts stopping at once, so stop() takes as long as the slowest, not the sum.
  std::unique_lock senders_lock(senders_mu_);
  for (auto& [id, sender] : senders_) sender->request_stop();
  const bool was_serving = server_ != nullptr;
  if (server_) {
    // Peers' streams never end by themselves: waiting for them would only delay the cancel.
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
  }
  receiver_.close();
  for (auto& [id, sender] : senders_) sender->join();
  for (auto& sender : retired_) sender->join();
  if (was_serving) logger_.info("transport: member {:x} stopped", options_.self);
}

}  // namespace regent::transport
