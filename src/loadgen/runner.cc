#include "loadgen/runner.h"

#include <algorithm>
#include <thread>

#include "common/assert.h"

namespace regent::loadgen {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(10);
// How long retire() waits beyond one request timeout before calling the run stuck: cancelled
// calls come back at once, and a reactor's last request (a lease revoke) has one timeout.
constexpr auto kRetireMargin = std::chrono::seconds(10);

std::optional<uint64_t> budget_limit(const Options& o) {
  if (o.duration_s) return std::nullopt;
  return o.total;
}

}  // namespace

std::vector<std::string> grpc_targets(const Options& options) {
  std::vector<std::string> targets;
  for (const auto& e : options.endpoints) {
    auto target = grpc_target(e);
    REGENT_ASSERT(target.has_value(), "invalid endpoint {}", e);
    targets.push_back(*target);
  }
  return targets;
}

Runner::Runner(const Options& options, std::string label)
    : options_(options),
      pollers_(options.threads),
      channels_(grpc_targets(options), options.conns),
      budget_(budget_limit(options)),
      gaps_(clock_.start),
      progress_(options.progress ? stderr : nullptr, std::move(label), clock_.start) {
  REGENT_ASSERT(!validate(options).has_value(), "invalid options: {}", *validate(options));
  for (size_t i = 0; i < pollers_.size(); ++i) {
    recorders_.push_back(std::make_unique<Recorder>(&gaps_));
  }
}

Runner::~Runner() {
  // A launched run abandoned before retire() would leave calls on queues being destroyed.
  REGENT_ASSERT(!launched_ || retired_, "a Runner must retire its reactors before it ends");
}

Clock::duration Runner::request_timeout() const {
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options_.timeout_s));
}

grpc::CompletionQueue* Runner::queue(size_t reactor) const {
  return pollers_.queue(reactor % pollers_.size());
}

Recorder* Runner::recorder(size_t reactor) { return recorders_[reactor % recorders_.size()].get(); }

const std::shared_ptr<grpc::Channel>& Runner::channel(size_t client) const {
  return channels_.for_client(client);
}

size_t Runner::connect() { return channels_.connect(Clock::now() + request_timeout()); }

void Runner::start_clock() {
  clock_.start = Clock::now();
  if (options_.duration_s) {
    clock_.deadline = clock_.start + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(*options_.duration_s));
  }
  gaps_.reset(clock_.start);
  progress_.restart(clock_.start);
}

void Runner::launch(Reactor* reactor, bool stop_at_deadline) {
  REGENT_ASSERT(!retired_, "launch() after retire()");
  launched_ = true;
  reactor->start_at(Clock::now());
  if (stop_at_deadline && clock_.has_deadline()) reactor->stop_at(clock_.deadline);
}

bool Runner::wait(const std::function<bool()>& done, Clock::time_point until) {
  // Bounded by `until`.
  for (;;) {
    if (done()) return true;
    const auto now = Clock::now();
    progress_.tick(now, ok(), errors());
    if (now >= until) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(kPollInterval, until - now));
  }
}

void Runner::retire(const std::vector<Reactor*>& reactors) {
  const auto now = Clock::now();
  for (Reactor* r : reactors) {
    if (!r->stop_requested()) r->stop_at(now);
  }
  const auto limit = now + request_timeout() + kRetireMargin;
  const bool all = wait(
      [&] {
        return std::all_of(reactors.begin(), reactors.end(),
                           [](const Reactor* r) { return r->retired(); });
      },
      limit);
  // Destroying a reactor with a call in flight would corrupt gRPC's state: stop loudly instead.
  REGENT_ASSERT(all, "reactors still busy {} after they were stopped",
                std::chrono::duration<double>(Clock::now() - now).count());
  pollers_.shutdown();
  retired_ = true;
}

uint64_t Runner::ok() const {
  uint64_t n = 0;
  for (const auto& r : recorders_) n += r->ok();
  return n;
}

uint64_t Runner::errors() const {
  uint64_t n = 0;
  for (const auto& r : recorders_) n += r->errors();
  return n;
}

Clock::time_point Runner::measured_end() const {
  if (clock_.has_deadline()) return clock_.deadline;
  Clock::time_point end = clock_.start;
  for (const auto& r : recorders_) end = std::max(end, r->last_completion());
  return end;
}

Report Runner::report() const {
  REGENT_ASSERT(retired_, "report() before retire()");
  Report out;
  out.workload = std::string(workload_name(options_.workload));
  out.clients = options_.clients;
  out.conns = options_.conns;
  Histogram latency;
  Gap longest;
  for (const auto& r : recorders_) {
    out.ok += r->ok();
    out.errors += r->errors();
    for (const auto& [what, n] : r->errors_by_status()) out.errors_by_status[what] += n;
    latency.merge(r->latency());
    if (r->longest_gap().length > longest.length) longest = r->longest_gap();
  }
  out.total = out.ok + out.errors;
  out.latency = summarize(latency);
  const auto end = measured_end();
  out.seconds = std::chrono::duration<double>(end - clock_.start).count();
  if (options_.max_gap) {
    // The stretch from the last success to the end of the run is a gap too (an outage that
    // lasted to the end); gaps_.last() is the run start when nothing succeeded.
    const Clock::time_point last = gaps_.last();
    if (end > last && end - last > longest.length) longest = Gap{end - last, last};
    out.max_gap = MaxGap{
        .length_ms = std::chrono::duration<double, std::milli>(longest.length).count(),
        .at_s = longest.length.count() == 0
                    ? 0
                    : std::chrono::duration<double>(longest.started - clock_.start).count(),
    };
  }
  return out;
}

Report Runner::run_closed_loop(const std::vector<Reactor*>& reactors) {
  start_clock();
  for (Reactor* r : reactors) launch(r, /*stop_at_deadline=*/true);
  // Total mode: each client ends when the budget is spent (every request ends within its
  // timeout). Duration mode: the stop at the deadline ends them.
  wait(
      [&] {
        return std::all_of(reactors.begin(), reactors.end(),
                           [](const Reactor* r) { return r->finished(); });
      },
      clock_.deadline);
  retire(reactors);
  return report();
}

}  // namespace regent::loadgen
