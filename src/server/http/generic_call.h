// One call into the member's own gRPC server through its in-process channel, by method name and
// with messages found by reflection, so the gateway needs no code per method. It is driven from
// the HTTP connection's thread; while it waits, it watches the HTTP client's socket and cancels
// the call when the client hangs up (as etcd's gateway cancels a request whose client went away:
// a Lock or Campaign for a client that is gone must not go on waiting).
//
// Invariants: at most one operation is outstanding at a time; the destructor cancels a call that
// did not finish and drains the completion queue, so nothing refers to this object afterwards.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace regent::server::http {

class GenericCall {
 public:
  using Metadata = std::vector<std::pair<std::string, std::string>>;
  // `method`: "/etcdserverpb.KV/Range". `client_fd`: the HTTP client's socket (-1: none).
  // `metadata` goes with the call (the client's token, which HTTP client it is).
  GenericCall(grpc::GenericStub& stub, const std::string& method, int client_fd,
              const Metadata& metadata = {});
  ~GenericCall();
  GenericCall(const GenericCall&) = delete;
  GenericCall& operator=(const GenericCall&) = delete;

  // Each returns false once the call is over (then finish() says why).
  bool write(const google::protobuf::Message& request, bool last);
  bool read(google::protobuf::Message& response);
  grpc::Status finish();
  // True when the HTTP client hung up while the call waited.
  bool client_gone() const { return client_gone_; }

 private:
  bool wait();

  grpc::ClientContext context_;
  grpc::CompletionQueue queue_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> stream_;
  const int client_fd_;
  bool started_ = false;
  bool finished_ = false;
  bool client_gone_ = false;
};

}  // namespace regent::server::http
