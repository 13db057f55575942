// watch-latency: --clients watch streams on one key, spread over the connections, and --putters
// putters writing that key, one put at a time each, --total times in all (or for --duration) at
// --put-rate puts per second (0: closed loop). Each event a watcher receives is one latency
// sample: received - sent, the send time travelling in the value (watch_value.h). The putters
// start only once every watch is created (or one request timeout passed), and the run ends once
// every watcher has seen every successful put (or one request timeout after the last put). A
// (watcher, successful put) pair with no event is a missed event. The putters use the first
// connection; an event of a put answered after the end of the run still counts as a sample (the
// put happened).
#include <algorithm>
#include <memory>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "loadgen/key_chooser.h"
#include "loadgen/runner.h"
#include "loadgen/unary_client.h"
#include "loadgen/watch_stream.h"
#include "loadgen/watch_value.h"
#include "loadgen/workloads.h"

namespace regent::loadgen {

namespace {

constexpr auto kReopenPause = std::chrono::milliseconds(50);

// The putter's call: put n carries n and its send time. Remembers which puts succeeded; touched
// only by the putter's poller thread, and read after the pollers stopped.
class WatchPutCall final : public UnaryCall {
 public:
  WatchPutCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& key, int val_size)
      : stub_(etcdserverpb::KV::NewStub(channel)), val_size_(val_size) {
    request_.set_key(key);
  }

  void start(uint64_t request, Clock::time_point deadline, grpc::CompletionQueue* cq,
             grpc::Status* status, void* tag) override {
    const auto sent =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch());
    request_.set_value(encode_watch_value({request, sent.count()}, val_size_));
    slot_.start(deadline, cq, status, tag, [this](grpc::ClientContext* ctx, auto* q) {
      return stub_->PrepareAsyncPut(ctx, request_, q);
    });
  }
  void cancel() override { slot_.cancel(); }
  void completed(uint64_t request, bool ok) override {
    if (!ok) return;
    succeeded_.push_back(request);
    succeeded_count_.fetch_add(1, std::memory_order_release);
  }

  const std::vector<uint64_t>& succeeded() const { return succeeded_; }
  // Any thread: how many of this putter's puts succeeded.
  uint64_t succeeded_count() const { return succeeded_count_.load(std::memory_order_acquire); }

 private:
  std::unique_ptr<etcdserverpb::KV::Stub> stub_;
  int val_size_;
  etcdserverpb::PutRequest request_;
  UnarySlot<etcdserverpb::PutResponse> slot_;
  std::vector<uint64_t> succeeded_;
  std::atomic<uint64_t> succeeded_count_{0};
};

uint64_t missed_events(const std::vector<std::unique_ptr<WatchStream>>& watchers,
                       const std::vector<WatchPutCall*>& puts) {
  uint64_t missed = 0;
  for (const auto& w : watchers) {
    for (const WatchPutCall* p : puts) {
      for (uint64_t seq : p->succeeded()) missed += w->seen().contains(seq) ? 0 : 1;
    }
  }
  return missed;
}

}  // namespace

Report run_watch_latency(const Options& options) {
  Runner runner(options, "watch-latency");
  runner.connect();
  const std::string key =
      options.watch_key.empty() ? format_key(0, options.key_size) : options.watch_key;
  const size_t n = static_cast<size_t>(options.clients);
  std::vector<std::unique_ptr<WatchStream>> watchers;
  std::vector<Reactor*> reactors;
  for (size_t i = 0; i < n; ++i) {
    watchers.push_back(std::make_unique<WatchStream>(runner.queue(i), runner.recorder(i),
                                                     runner.channel(i), key, kReopenPause));
    reactors.push_back(watchers.back().get());
  }
  // The putters' latencies are not samples of this workload: they record apart.
  GapClock put_gaps(Clock::now());
  Recorder put_recorder(&put_gaps);
  UnaryClientConfig config{.timeout = runner.request_timeout()};
  if (options.put_rate > 0) {
    config.interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / options.put_rate));
  }
  std::vector<WatchPutCall*> puts;
  std::vector<std::unique_ptr<UnaryClient>> putters;
  for (int i = 0; i < options.putters; ++i) {
    auto call = std::make_unique<WatchPutCall>(runner.channel(0), key, options.val_size);
    puts.push_back(call.get());
    // Every putter's numbers come from the one budget, so each put's number is unique; all
    // share one completion queue (one poller thread), as they share put_recorder.
    putters.push_back(std::make_unique<UnaryClient>(runner.queue(n), &put_recorder, runner.budget(),
                                                    &runner.clock(), std::move(call), config));
    reactors.push_back(putters.back().get());
  }
  auto succeeded = [&puts] {
    uint64_t total = 0;
    for (const WatchPutCall* p : puts) total += p->succeeded_count();
    return total;
  };

  for (auto& w : watchers) runner.launch(w.get(), /*stop_at_deadline=*/false);
  runner.wait(
      [&] {
        return std::all_of(watchers.begin(), watchers.end(),
                           [](const auto& w) { return w->created(); });
      },
      Clock::now() + runner.request_timeout());
  runner.start_clock();
  for (auto& p : putters) runner.launch(p.get(), /*stop_at_deadline=*/true);
  runner.wait(
      [&] {
        return std::all_of(putters.begin(), putters.end(),
                           [](const auto& p) { return p->finished(); });
      },
      runner.clock().deadline);
  runner.wait(
      [&] {
        const uint64_t total = succeeded();
        return std::all_of(watchers.begin(), watchers.end(),
                           [total](const auto& w) { return w->seen_count() >= total; });
      },
      Clock::now() + runner.request_timeout());
  runner.retire(reactors);

  Report r = runner.report();
  r.total = put_recorder.ok() + put_recorder.errors();
  r.puts_ok = put_recorder.ok();
  r.errors += put_recorder.errors();
  for (const auto& [what, count] : put_recorder.errors_by_status()) {
    r.errors_by_status["put: " + what] += count;
  }
  r.missed_events = missed_events(watchers, puts);
  return r;
}

}  // namespace regent::loadgen
