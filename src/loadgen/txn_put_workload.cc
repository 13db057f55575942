// txn-put: a Txn without compares whose success branch puts --txn-ops distinct keys: the first
// chosen as put chooses (for request n, sequential keys use n * txn-ops), the rest the keys after
// it, wrapping (the key space is at least txn-ops keys, so they are distinct).
#include <memory>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "loadgen/key_chooser.h"
#include "loadgen/unary_run.h"
#include "loadgen/workloads.h"

namespace regent::loadgen {

namespace {

class TxnPutCall final : public UnaryCall {
 public:
  TxnPutCall(const std::shared_ptr<grpc::Channel>& channel, KeyChooser keys,
             const std::string& value, int ops)
      : stub_(etcdserverpb::KV::NewStub(channel)), keys_(std::move(keys)) {
    for (int j = 0; j < ops; ++j) request_.add_success()->mutable_request_put()->set_value(value);
  }

  void start(uint64_t request, Clock::time_point deadline, grpc::CompletionQueue* cq,
             grpc::Status* status, void* tag) override {
    const uint64_t ops = static_cast<uint64_t>(request_.success_size());
    const uint64_t first = keys_.choose(request * ops);
    for (uint64_t j = 0; j < ops; ++j) {
      const uint64_t key = (first + j) % keys_.space().size;
      request_.mutable_success(static_cast<int>(j))
          ->mutable_request_put()
          ->set_key(std::string(keys_.key(key)));
    }
    slot_.start(deadline, cq, status, tag, [this](grpc::ClientContext* ctx, auto* q) {
      return stub_->PrepareAsyncTxn(ctx, request_, q);
    });
  }
  void cancel() override { slot_.cancel(); }
  std::optional<std::string> check_reply() const override {
    if (slot_.response().succeeded()) return std::nullopt;
    return "txn answered succeeded=false";
  }

 private:
  std::unique_ptr<etcdserverpb::KV::Stub> stub_;
  KeyChooser keys_;
  etcdserverpb::TxnRequest request_;
  UnarySlot<etcdserverpb::TxnResponse> slot_;
};

}  // namespace

Report run_txn_put(const Options& options) {
  const KeySpace space{options.key_size, options.key_space_size, options.sequential_keys};
  const std::string value = bench_value(options);
  return run_unary(options, "txn-put", [&](size_t client, const auto& channel) {
    return std::make_unique<TxnPutCall>(channel, KeyChooser(space, options.seed + client), value,
                                        options.txn_ops);
  });
}

}  // namespace regent::loadgen
