// The one way a service proposes a client's write and answers it once applied: the size check
// etcd makes, the proposal, and the applied outcome turned into the call's response.
#pragma once

#include "server/api/service_context.h"
#include "server/grpc_status.h"
#include "server/node/kv_convert.h"
#include "server/node/lease_convert.h"

namespace regent::server {

// KvResponse names the alternative of WriteResponse the request's apply gives.
template <class KvResponse, class Response>
grpc::ServerUnaryReactor* propose_write(const ServiceContext& ctx,
                                        grpc::CallbackServerContext* call,
                                        regentpb::InternalRequest proposal, Response* response) {
  // etcd measures the request as it would enter the log.
  if (proposal.ByteSizeLong() > ctx.max_request_bytes) {
    return finish_now(call, to_grpc(request_too_large()));
  }
  if (auto refused = stamp_caller(ctx, *call, proposal)) return finish_now(call, to_grpc(*refused));
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  ctx.node->propose(std::move(proposal),
                    [&ctx, reactor, response](Expected<WriteResponse, Failure> outcome) {
                      if (!outcome) return reactor->Finish(to_grpc(outcome.error()));
                      etcdserverpb::ResponseHeader header;
                      ctx.fill(&header);
                      *response = to_proto(std::get<KvResponse>(*outcome), header);
                      reactor->Finish(grpc::Status::OK);
                    });
  return reactor;
}

}  // namespace regent::server
