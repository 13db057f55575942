// One kind of unary request, as a closed-loop client issues it again and again, and the holder
// of one such call's gRPC objects.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "loadgen/grpc_time.h"
#include "loadgen/reactor.h"

namespace regent::loadgen {

class UnaryCall {
 public:
  virtual ~UnaryCall() = default;

  // Builds the request numbered `request` (its budget number) and starts it with `deadline`;
  // `tag` comes back on cq once *status holds the outcome. One call at a time.
  virtual void start(uint64_t request, Clock::time_point deadline, grpc::CompletionQueue* cq,
                     grpc::Status* status, void* tag) = 0;
  // Cancels the call in flight, if any: its tag comes back promptly.
  virtual void cancel() = 0;
  // After an OK status: why the reply still means failure (a txn that did not succeed).
  virtual std::optional<std::string> check_reply() const { return std::nullopt; }
  // The outcome of request `request`, for calls that track it (the watch putter).
  virtual void completed(uint64_t /*request*/, bool /*ok*/) {}
};

// The context, reader and response of the one call in flight of RPC `Response`. The reader is
// released before its context (members are destroyed in reverse order, and start() resets the
// reader first): the reader lives in the call's arena, which the context frees.
template <class Response>
class UnarySlot {
 public:
  // prepare(context, cq) is the stub's PrepareAsync<Method>(context, request, cq).
  template <class Prepare>
  void start(Clock::time_point deadline, grpc::CompletionQueue* cq, grpc::Status* status, void* tag,
             Prepare&& prepare) {
    reader_.reset();
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(grpc_deadline(deadline));
    response_.Clear();
    reader_ = prepare(context_.get(), cq);
    reader_->StartCall();
    reader_->Finish(&response_, status, tag);
  }
  void cancel() {
    if (context_) context_->TryCancel();
  }
  const Response& response() const { return response_; }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader_;
  Response response_;
};

}  // namespace regent::loadgen
