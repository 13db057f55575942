#include "client/internal/connections.h"

#include <fmt/format.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <climits>

#include "client/internal/call.h"
#include "tls/grpc_credentials.h"

namespace regent::client::internal {

Result<std::string> grpc_target(const std::string& endpoint) {
  std::string rest = endpoint;
  const auto scheme_end = rest.find("://");
  if (scheme_end != std::string::npos) {
    const std::string scheme = rest.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") {
      return fail(
          Code::kInvalidArgument,
          fmt::format("endpoint {}: only http:// and https:// endpoints are supported", endpoint));
    }
    rest = rest.substr(scheme_end + 3);
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const auto colon = rest.rfind(':');
  if (rest.empty() || colon == std::string::npos || colon == 0 || colon + 1 == rest.size() ||
      rest.find('/') != std::string::npos) {
    return fail(Code::kInvalidArgument,
                fmt::format("endpoint {}: expected http(s)://host:port or host:port", endpoint));
  }
  return rest;
}

bool uses_tls(const std::string& endpoint, const TlsOptions& tls) {
  if (endpoint.starts_with("https://")) return true;
  if (endpoint.starts_with("http://")) return false;
  return tls.any();
}

Result<std::vector<Target>> dial_targets(const ClientOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> secure;  // Made once, for every TLS endpoint.
  std::vector<Target> targets;
  for (const std::string& endpoint : options.endpoints) {
    auto address = grpc_target(endpoint);
    if (!address) return fail(address.error());
    if (!uses_tls(endpoint, options.tls)) {
      targets.push_back({*address, grpc::InsecureChannelCredentials()});
      continue;
    }
    if (!secure) {
      auto made = tls::channel_credentials(
          tls::ChannelTls{.ca_file = options.tls.ca_file,
                          .cert_file = options.tls.cert_file,
                          .key_file = options.tls.key_file,
                          .skip_verify = options.tls.insecure_skip_verify});
      if (!made) return fail(Code::kInvalidArgument, "TLS: " + made.error());
      secure = std::move(*made);
    }
    targets.push_back({*address, secure});
  }
  return targets;
}

namespace {

std::shared_ptr<grpc::Channel> make_channel(const ClientOptions& options, const Target& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(INT_MAX);  // etcd's clients accept any size the server sends.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(options.keepalive_time.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(options.keepalive_timeout.count()));
  // A restarted member should be reached again within a second, not gRPC's default 2 minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Cluster members are addressed directly; an http_proxy meant for the web must not apply.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  // One channel per endpoint and client: never share a connection with another Client, whose
  // failures and keep-alive pings are its own.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target.address, target.credentials, args);
}

}  // namespace

Connections::Connections(const ClientOptions& options, std::vector<Target> targets)
    : options_(options),
      endpoints_(options.endpoints),
      tokens_(options.username, options.password) {
  for (const auto& target : targets) channels_.push_back(make_channel(options_, target));
  monitor_ = std::thread([this] {
    // gRPC reads a socket only while some thread polls; this one always does, through one
    // state-change notification per channel, renewed whenever it fires.
    constexpr auto kPeriod = std::chrono::milliseconds(250);
    grpc::CompletionQueue cq;
    size_t outstanding = 0;
    auto watch = [&](size_t i) {
      channels_[i]->NotifyOnStateChange(channels_[i]->GetState(false),
                                        grpc_deadline(Clock::now() + kPeriod), &cq,
                                        reinterpret_cast<void*>(i));
      ++outstanding;
    };
    for (size_t i = 0; i < channels_.size(); ++i) watch(i);
    void* tag = nullptr;
    bool ok = false;
    // Ends at destruction, once every notification has come back (each within kPeriod).
    while (outstanding > 0 && cq.Next(&tag, &ok)) {
      --outstanding;
      if (!stopping_) watch(reinterpret_cast<size_t>(tag));
    }
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
  });
}

Connections::~Connections() {
  stopping_ = true;
  monitor_.join();
}

void Connections::note_failure(size_t i) {
  size_t expected = i;
  preferred_.compare_exchange_strong(expected, (i + 1) % size());
}

bool Connections::wait_connected(size_t i, Clock::time_point deadline, const Context& ctx) const {
  const auto& ch = channels_[i];
  // gRPC moves a connection attempt forward only while some thread polls the channel (an RPC
  // or WaitForStateChange), so this waits in short slices rather than returning at once.
  constexpr auto kSlice = std::chrono::milliseconds(20);
  // TRANSIENT_FAILURE means the last attempt failed and a reconnect waits out a backoff: the
  // endpoint is down for now. It gets a brief look, to notice a member that just came back,
  // and then the caller is better served by the next endpoint.
  constexpr auto kFailureGrace = std::chrono::milliseconds(100);
  const auto start = Clock::now();
  for (;;) {
    const grpc_connectivity_state state = ch->GetState(/*try_to_connect=*/true);
    if (state == GRPC_CHANNEL_READY) return true;
    if (state == GRPC_CHANNEL_SHUTDOWN) return false;
    const auto now = Clock::now();
    if (now >= deadline || ctx.done()) return false;
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE && now - start >= kFailureGrace) return false;
    ch->WaitForStateChange(state, grpc_deadline(std::min(deadline, now + kSlice)));
  }
}

}  // namespace regent::client::internal
