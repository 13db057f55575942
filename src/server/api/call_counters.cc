#include "server/api/call_counters.h"

#include <grpcpp/support/interceptor.h>

#include <string_view>

namespace regent::server {

namespace {

using RpcType = grpc::experimental::ServerRpcInfo::Type;
using Hook = grpc::experimental::InterceptionHookPoints;

const char* type_name(RpcType type) {
  switch (type) {
    case RpcType::UNARY:
      return "unary";
    case RpcType::CLIENT_STREAMING:
      return "client_stream";
    case RpcType::SERVER_STREAMING:
      return "server_stream";
    case RpcType::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

// Go's names of the codes (codes.Code.String()), which go-grpc-prometheus puts in grpc_code.
const char* code_name(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  const auto i = static_cast<size_t>(code);
  return i < std::size(kNames) ? kNames[i] : "Unknown";
}

class CountingInterceptor final : public grpc::experimental::Interceptor {
 public:
  CountingInterceptor(CallCounters& counters, grpc::experimental::ServerRpcInfo* info)
      : counters_(counters), info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      counters_.record(info_->method(), info_->type(), methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  CallCounters& counters_;
  grpc::experimental::ServerRpcInfo* info_;
};

class CountingFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CountingFactory(CallCounters& counters) : counters_(counters) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CountingInterceptor(counters_, info);  // gRPC deletes it with the call.
  }

 private:
  CallCounters& counters_;
};

}  // namespace

void CallCounters::record(const char* full_method, RpcType type, grpc::StatusCode code) {
  std::lock_guard lock(mu_);
  ++handled_[Key{full_method, type, code}];
}

std::vector<CallCounters::Count> CallCounters::counts() const {
  std::map<std::tuple<std::string, std::string, std::string, std::string>, uint64_t> sorted;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, n] : handled_) {
      // "/etcdserverpb.KV/Range" -> service "etcdserverpb.KV", method "Range".
      std::string_view full = key.full_method != nullptr ? key.full_method : "";
      if (!full.empty() && full.front() == '/') full.remove_prefix(1);
      const size_t slash = full.find('/');
      const std::string service(full.substr(0, slash));
      const std::string method(slash == std::string_view::npos ? "" : full.substr(slash + 1));
      sorted[{service, method, type_name(key.type), code_name(key.code)}] += n;
    }
  }
  std::vector<Count> out;
  out.reserve(sorted.size());
  for (const auto& [k, n] : sorted) {
    out.push_back(Count{.type = std::get<2>(k),
                        .service = std::get<0>(k),
                        .method = std::get<1>(k),
                        .code = std::get<3>(k),
                        .handled = n});
  }
  return out;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> make_counting_interceptor(
    CallCounters& counters) {
  return std::make_unique<CountingFactory>(counters);
}

}  // namespace regent::server
