// A Failure as the gRPC status a client receives.
#pragma once

#include <grpcpp/support/status.h>

#include "server/node/failure.h"

namespace regent::server {

inline grpc::Status to_grpc(const Failure& f) {
  static_assert(static_cast<int>(StatusCode::UNAUTHENTICATED) ==
                    static_cast<int>(grpc::StatusCode::UNAUTHENTICATED),
                "Failure's codes are numbered as gRPC's");
  return grpc::Status(static_cast<grpc::StatusCode>(f.code), f.message);
}

}  // namespace regent::server
