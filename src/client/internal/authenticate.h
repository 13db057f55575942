// The gRPC side of the client's token (tokens.h): Authenticate on a given endpoint, and the
// token handling of the streams the library opens by hand (Watch, Election.Observe), which do
// not go through call().
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <optional>
#include <string>

#include "client/context.h"
#include "client/internal/tokens.h"

namespace regent::client::internal {

class Connections;

// gRPC metadata key of the token, etcd's.
inline constexpr const char* kTokenMetadataKey = "token";

// Authenticate on endpoint i, ending by `deadline` (when set) and never later than the client's
// request_timeout from now, so that a blocking call without a deadline cannot hang in it.
AuthenticateFn authenticate_on(Connections& connections, size_t i,
                               std::optional<Context::Clock::time_point> deadline,
                               const Context& ctx);

// For a stream about to be opened on endpoint i: attaches the client's token to `cc`
// (authenticating first if none is held) and returns it, or returns why none could be had.
Result<std::string> attach_token(Connections& connections, size_t i, const Context& ctx,
                                 grpc::ClientContext& cc);

// After a stream carrying `token` ended with `status`: forgets the token if the server refused
// it, so that the stream's next round authenticates again.
void note_stream_end(Connections& connections, const std::string& token,
                     const grpc::Status& status);

}  // namespace regent::client::internal
