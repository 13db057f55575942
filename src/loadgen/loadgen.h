// regent-bench's library: load generators speaking etcd's v3 gRPC API, so that they measure
// etcd and regentd alike.
//
// A run is --clients closed-loop clients (or watch streams) over --conns gRPC channels (each its
// own TCP connection; channels go to the endpoints round-robin, clients to the channels
// round-robin), all multiplexed on --threads completion queues, each drained by one poller
// thread (pollers.h, reactor.h). The controller thread only starts, waits and stops (runner.h).
//
// Invariants:
//  - A client has at most one request in flight (closed loop); it issues the next one only when
//    the previous completed. After an error it pauses 1 ms; a broken stream reopens after 50 ms.
//  - Every run is bounded: in total mode every request, success or error, takes one unit of the
//    budget (failed set-up requests are charged to it), and every request has a deadline
//    (--timeout); in duration mode the deadline stops every client, and what is in flight then
//    is cancelled and counted neither way.
//  - A success is exactly one latency sample (watch-latency: one per event per watcher); an error
//    is never a sample, and is tallied by "<GRPC CODE>: <message>".
//  - The clock starts after set-up (connections, range's preload, watch creation), so the
//    measured time is the workload's alone.
//  - Memory is bounded: a fixed-size histogram per poller thread, a bounded error tally.
#pragma once

#include <string>

#include "common/expected.h"
#include "loadgen/options.h"
#include "loadgen/report.h"

namespace regent::loadgen {

// Runs the workload to its end. Fails (with the flag at fault) only when the options are invalid;
// errors of the cluster are results, in the Report.
Expected<Report, std::string> run(const Options& options);

}  // namespace regent::loadgen
