// What one run shares, and the controller's side of it.
//
// A Runner owns the poller threads, the channels, the request budget, the run clock and one
// Recorder per poller thread. A workload creates its reactors on the Runner's queues, then:
// connect() (bounded by the request timeout), start_clock(), launch() each reactor, wait() for
// its end (printing progress), retire() every reactor, and report(). Reactor i lives on queue
// i mod threads and records into that queue's Recorder, so recording needs no lock.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/budget.h"
#include "loadgen/channel_pool.h"
#include "loadgen/options.h"
#include "loadgen/pollers.h"
#include "loadgen/progress.h"
#include "loadgen/reactor.h"
#include "loadgen/recorder.h"
#include "loadgen/report.h"

namespace regent::loadgen {

class Runner {
 public:
  // `label` names the progress lines; the budget holds `total` requests unless a duration is set.
  Runner(const Options& options, std::string label);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  const Options& options() const { return options_; }
  Clock::duration request_timeout() const;
  grpc::CompletionQueue* queue(size_t reactor) const;
  Recorder* recorder(size_t reactor);
  const std::shared_ptr<grpc::Channel>& channel(size_t client) const;
  Budget* budget() { return &budget_; }
  const RunClock& clock() const { return clock_; }

  // Connects the channels before the clock starts; returns how many connected.
  size_t connect();
  // Time 0 is now; in duration mode the deadline is now + duration. Before any launch().
  void start_clock();
  // Starts the reactor now; with stop_at_deadline (duration mode only) also stops it then.
  void launch(Reactor* reactor, bool stop_at_deadline);
  // Polls until done() holds or `until` passes, printing progress; returns done().
  bool wait(const std::function<bool()>& done, Clock::time_point until);
  // Stops every reactor not stopped yet and waits until all are retired, then stops the
  // pollers. After it, reactors may be destroyed and report() read.
  void retire(const std::vector<Reactor*>& reactors);

  // The common run of closed-loop clients: start the clock, launch each (stopped at the deadline
  // in duration mode), wait until all finished or the deadline passed, retire them, report.
  Report run_closed_loop(const std::vector<Reactor*>& reactors);

  uint64_t ok() const;
  uint64_t errors() const;
  // Counts, errors, latency and (with --max-gap) the longest gap, merged over the recorders.
  Report report() const;

 private:
  Clock::time_point measured_end() const;

  Options options_;
  Pollers pollers_;
  ChannelPool channels_;
  Budget budget_;
  RunClock clock_;
  GapClock gaps_;
  std::vector<std::unique_ptr<Recorder>> recorders_;  // One per poller thread.
  Progress progress_;
  bool launched_ = false;
  bool retired_ = false;
};

// Every endpoint as a gRPC target (options must be valid).
std::vector<std::string> grpc_targets(const Options& options);

}  // namespace regent::loadgen
