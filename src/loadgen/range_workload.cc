// range: single-key Range of a chosen key, linearizable or serializable, over a key space that
// was put once before the clock starts (so reads find data).
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "loadgen/key_chooser.h"
#include "loadgen/unary_run.h"
#include "loadgen/workloads.h"

namespace regent::loadgen {

namespace {

class RangeCall final : public UnaryCall {
 public:
  RangeCall(const std::shared_ptr<grpc::Channel>& channel, KeyChooser keys, bool serializable)
      : stub_(etcdserverpb::KV::NewStub(channel)), keys_(std::move(keys)) {
    request_.set_serializable(serializable);
  }

  void start(uint64_t request, Clock::time_point deadline, grpc::CompletionQueue* cq,
             grpc::Status* status, void* tag) override {
    request_.set_key(std::string(keys_.key(keys_.choose(request))));
    slot_.start(deadline, cq, status, tag, [this](grpc::ClientContext* ctx, auto* q) {
      return stub_->PrepareAsyncRange(ctx, request_, q);
    });
  }
  void cancel() override { slot_.cancel(); }

 private:
  std::unique_ptr<etcdserverpb::KV::Stub> stub_;
  KeyChooser keys_;
  etcdserverpb::RangeRequest request_;
  UnarySlot<etcdserverpb::RangeResponse> slot_;
};

// Puts key 0 .. N-1 once each: the put workload with sequential keys and a budget of N.
void preload(const Options& options) {
  Options put = options;
  put.workload = Workload::kPut;
  put.total = options.key_space_size;
  put.duration_s.reset();
  put.sequential_keys = true;
  put.max_gap = false;
  if (options.progress) {
    std::fprintf(stderr, "preload: putting each of %llu keys once\n",
                 static_cast<unsigned long long>(put.total));
  }
  const Report r = run_put(put, "preload");
  if (r.errors > 0) {
    std::fprintf(stderr, "preload: %llu of %llu puts failed; ranges of those keys find nothing\n",
                 static_cast<unsigned long long>(r.errors),
                 static_cast<unsigned long long>(put.total));
  }
}

}  // namespace

Report run_range(const Options& options) {
  preload(options);
  const KeySpace space{options.key_size, options.key_space_size, options.sequential_keys};
  return run_unary(options, "range", [&](size_t client, const auto& channel) {
    return std::make_unique<RangeCall>(channel, KeyChooser(space, options.seed + client),
                                       options.serializable);
  });
}

}  // namespace regent::loadgen
