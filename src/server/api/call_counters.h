// Every gRPC call this member finished, by method and status code: what go-grpc-prometheus
// counts for etcd as grpc_server_handled_total{grpc_type, grpc_service, grpc_method, grpc_code}
// (the dashboards made for etcd read request and error rates from it). A server interceptor
// (make_counting_interceptor) records each call as its status is sent, calls made through the
// HTTP gateway's in-process channel included.
//
// Thread-safe: calls finish on gRPC's threads while /metrics reads.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace regent::server {

class CallCounters {
 public:
  struct Count {
    std::string type;     // unary, client_stream, server_stream, bidi_stream
    std::string service;  // etcdserverpb.KV
    std::string method;   // Range
    std::string code;     // OK, Unavailable, ... (Go's names, as etcd's metrics carry them)
    uint64_t handled = 0;
  };

  void record(const char* full_method, grpc::experimental::ServerRpcInfo::Type type,
              grpc::StatusCode code);
  // Every (method, code) seen so far, in a stable order.
  std::vector<Count> counts() const;

 private:
  struct Key {
    const char* full_method;  // gRPC's registered name: stable for the server's lifetime.
    grpc::experimental::ServerRpcInfo::Type type;
    grpc::StatusCode code;
    auto operator<=>(const Key&) const = default;
  };
  mutable std::mutex mu_;
  std::map<Key, uint64_t> handled_;
};

// The interceptor factory to give grpc::ServerBuilder (experimental().SetInterceptorCreators).
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> make_counting_interceptor(
    CallCounters& counters);

}  // namespace regent::server
