#include "client/internal/authenticate.h"

#include <algorithm>

#include "client/internal/call.h"
#include "client/internal/connections.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace regent::client::internal {

using Clock = Context::Clock;

AuthenticateFn authenticate_on(Connections& connections, size_t i,
                               std::optional<Clock::time_point> deadline, const Context& ctx) {
  return [&connections, i, deadline, ctx](const std::string& name,
                                          const std::string& password) -> Result<std::string> {
    auto until = Clock::now() + connections.options().request_timeout;
    if (deadline) until = std::min(until, *deadline);
    grpc::ClientContext cc;
    cc.set_deadline(grpc_deadline(until));
    etcdserverpb::AuthenticateRequest request;
    request.set_name(name);
    request.set_password(password);
    etcdserverpb::AuthenticateResponse response;
    grpc::Status status;
    {
      Context::Hook hook = ctx.on_cancel([&cc] { cc.TryCancel(); });
      status = etcdserverpb::Auth::NewStub(connections.channel(i))
                   ->Authenticate(&cc, request, &response);
    }
    if (!status.ok()) return fail(from_status(status, connections.endpoint(i)));
    return response.token();
  };
}

Result<std::string> attach_token(Connections& connections, size_t i, const Context& ctx,
                                 grpc::ClientContext& cc) {
  auto token = connections.tokens().current(authenticate_on(connections, i, std::nullopt, ctx));
  if (!token) return fail(token.error());
  if (!token->empty()) cc.AddMetadata(kTokenMetadataKey, *token);
  return token;
}

void note_stream_end(Connections& connections, const std::string& token,
                     const grpc::Status& status) {
  if (status.ok()) return;
  const auto retry = auth_retry_for(static_cast<Code>(status.error_code()), status.error_message(),
                                    connections.tokens().configured());
  if (retry == AuthRetry::kReauthenticate) connections.tokens().forget(token);
}

}  // namespace regent::client::internal
