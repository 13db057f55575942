// The run's gRPC channels: --conns of them, each its own TCP connection, spread over the
// endpoints round-robin (channel j goes to endpoint j mod E); client i uses channel i mod conns.
#pragma once

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace regent::loadgen {

class ChannelPool {
 public:
  // `targets` are host:port; conns >= 1.
  ChannelPool(const std::vector<std::string>& targets, int conns);

  size_t size() const { return channels_.size(); }
  const std::shared_ptr<grpc::Channel>& channel(size_t j) const { return channels_[j]; }
  const std::shared_ptr<grpc::Channel>& for_client(size_t client) const {
    return channels_[client % channels_.size()];
  }
  const std::string& target(size_t j) const { return targets_[j]; }

  // Starts connecting every channel and waits until each is connected or has failed once, at
  // most until `deadline`, so that the measured run does not time connection set-up. Returns how
  // many are connected; a channel that is not is left to the run (its requests fail and count).
  size_t connect(std::chrono::steady_clock::time_point deadline) const;

 private:
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::string> targets_;  // Per channel.
};

}  // namespace regent::loadgen
