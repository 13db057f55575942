#include "loadgen/channel_pool.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <climits>

#include "common/assert.h"
#include "loadgen/grpc_time.h"

namespace regent::loadgen {

namespace {

std::shared_ptr<grpc::Channel> make_channel(const std::string& target, int index) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(INT_MAX);
  // Each channel gets its own subchannel pool, and a distinct argument besides, so that gRPC
  // never merges two channels to one endpoint into one TCP connection: --conns means sockets.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("regent.bench.channel", index);
  // A restarted member is reached again within a second (failover runs), not gRPC's 2 minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // A frozen member's connection is found dead in about 15 s, so long-lived streams reopen.
  // Pings no more often than etcd's --grpc-keepalive-min-time (5 s) allows.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

ChannelPool::ChannelPool(const std::vector<std::string>& targets, int conns) {
  REGENT_ASSERT(!targets.empty() && conns >= 1, "{} targets, {} conns", targets.size(), conns);
  for (int j = 0; j < conns; ++j) {
    const std::string& target = targets[static_cast<size_t>(j) % targets.size()];
    channels_.push_back(make_channel(target, j));
    targets_.push_back(target);
  }
}

size_t ChannelPool::connect(std::chrono::steady_clock::time_point deadline) const {
  constexpr auto kSlice = std::chrono::milliseconds(20);
  size_t connected = 0;
  for (const auto& ch : channels_) {
    // Bounded by the deadline; gRPC moves a connection forward only while someone waits on it.
    for (;;) {
      const grpc_connectivity_state state = ch->GetState(/*try_to_connect=*/true);
      if (state == GRPC_CHANNEL_READY) {
        ++connected;
        break;
      }
      const auto now = std::chrono::steady_clock::now();
      if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN ||
          now >= deadline) {
        break;
      }
      ch->WaitForStateChange(state, grpc_deadline(std::min(deadline, now + kSlice)));
    }
  }
  return connected;
}

}  // namespace regent::loadgen
