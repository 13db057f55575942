// How an error is tallied: "<GRPC CODE NAME>: <message>", e.g. "UNAVAILABLE: etcdserver: no
// leader", as etcd's own tools print a gRPC status.
#pragma once

#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

namespace regent::loadgen {

std::string_view status_code_name(grpc::StatusCode code);
std::string status_text(const grpc::Status& status);

}  // namespace regent::loadgen
