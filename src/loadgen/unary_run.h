// A run of closed-loop unary clients (put, range, txn-put, and range's preload).
#pragma once

#include <grpcpp/channel.h>

#include <functional>
#include <memory>
#include <string>

#include "loadgen/options.h"
#include "loadgen/report.h"
#include "loadgen/unary_call.h"

namespace regent::loadgen {

// make(client index, the client's channel) builds each client's call.
using UnaryCallFactory =
    std::function<std::unique_ptr<UnaryCall>(size_t, const std::shared_ptr<grpc::Channel>&)>;

// --clients closed-loop clients until --total requests or --duration; `label` names the progress
// lines.
Report run_unary(const Options& options, std::string label, const UnaryCallFactory& make);

// The value every put writes: val-size bytes of 'v'.
std::string bench_value(const Options& options);

}  // namespace regent::loadgen
