// put: Put(key, value), keys chosen by the KeyChooser.
#include <memory>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "loadgen/key_chooser.h"
#include "loadgen/unary_run.h"
#include "loadgen/workloads.h"

namespace regent::loadgen {

namespace {

class PutCall final : public UnaryCall {
 public:
  PutCall(const std::shared_ptr<grpc::Channel>& channel, KeyChooser keys, std::string value)
      : stub_(etcdserverpb::KV::NewStub(channel)), keys_(std::move(keys)) {
    request_.set_value(std::move(value));
  }

  void start(uint64_t request, Clock::time_point deadline, grpc::CompletionQueue* cq,
             grpc::Status* status, void* tag) override {
    request_.set_key(std::string(keys_.key(keys_.choose(request))));
    slot_.start(deadline, cq, status, tag, [this](grpc::ClientContext* ctx, auto* q) {
      return stub_->PrepareAsyncPut(ctx, request_, q);
    });
  }
  void cancel() override { slot_.cancel(); }

 private:
  std::unique_ptr<etcdserverpb::KV::Stub> stub_;
  KeyChooser keys_;
  etcdserverpb::PutRequest request_;
  UnarySlot<etcdserverpb::PutResponse> slot_;
};

}  // namespace

Report run_put(const Options& options, std::string label) {
  const KeySpace space{options.key_size, options.key_space_size, options.sequential_keys};
  const std::string value = bench_value(options);
  return run_unary(options, std::move(label), [&](size_t client, const auto& channel) {
    return std::make_unique<PutCall>(channel, KeyChooser(space, options.seed + client), value);
  });
}

}  // namespace regent::loadgen
