#include "server/api/kv_service.h"

#include "server/api/write_call.h"
#include "server/grpc_status.h"
#include "server/node/kv_convert.h"

namespace regent::server {

grpc::ServerUnaryReactor* KvService::Range(grpc::CallbackServerContext* call,
                                           const etcdserverpb::RangeRequest* request,
                                           etcdserverpb::RangeResponse* response) {
  auto checked = check_range_request(*request);
  if (!checked) return finish_now(call, to_grpc(from_kv(checked.error())));
  if (auto refused = ctx_.node->read_refusal()) return finish_now(call, to_grpc(*refused));
  regentpb::AuthCaller caller;
  if (ctx_.auth) {
    auto who = ctx_.auth->caller(*call);
    if (!who) return finish_now(call, to_grpc(who.error()));
    caller = std::move(*who);
  }
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  // Checked once the read may be answered: a permission revoked before it was asked is applied
  // here by then.
  auto read = [this, reactor, response, range = std::move(*checked), caller = std::move(caller)] {
    if (ctx_.auth) {
      if (auto denied =
              ctx_.auth->check_access(caller, regentpb::READ, range.key, range.range_end)) {
        return reactor->Finish(to_grpc(*denied));
      }
    }
    auto result = ctx_.machine->read([&](const kv::Store& s) { return s.range(range); });
    if (!result) return reactor->Finish(to_grpc(from_kv(result.error())));
    etcdserverpb::ResponseHeader header;
    ctx_.fill(&header);
    *response = to_proto(*result, header);
    reactor->Finish(grpc::Status::OK);
  };
  if (request->serializable()) {
    read();
  } else {
    ctx_.node->read_index([reactor, read = std::move(read)](Expected<void, Failure> ready) {
      if (!ready) return reactor->Finish(to_grpc(ready.error()));
      read();
    });
  }
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* call,
                                         const etcdserverpb::PutRequest* request,
                                         etcdserverpb::PutResponse* response) {
  if (auto checked = check_put_request(*request); !checked) {
    return finish_now(call, to_grpc(from_kv(checked.error())));
  }
  regentpb::InternalRequest proposal;
  *proposal.mutable_put() = *request;
  return propose_write<kv::PutResponse>(ctx_, call, std::move(proposal), response);
}

grpc::ServerUnaryReactor* KvService::DeleteRange(grpc::CallbackServerContext* call,
                                                 const etcdserverpb::DeleteRangeRequest* request,
                                                 etcdserverpb::DeleteRangeResponse* response) {
  if (auto checked = check_delete_request(*request); !checked) {
    return finish_now(call, to_grpc(from_kv(checked.error())));
  }
  regentpb::InternalRequest proposal;
  *proposal.mutable_delete_range() = *request;
  return propose_write<kv::DeleteRangeResponse>(ctx_, call, std::move(proposal), response);
}

grpc::ServerUnaryReactor* KvService::Txn(grpc::CallbackServerContext* call,
                                         const etcdserverpb::TxnRequest* request,
                                         etcdserverpb::TxnResponse* response) {
  if (auto checked = check_txn_request(*request, ctx_.max_txn_ops); !checked) {
    return finish_now(call, to_grpc(from_kv(checked.error())));
  }
  regentpb::InternalRequest proposal;
  *proposal.mutable_txn() = *request;
  return propose_write<kv::TxnResponse>(ctx_, call, std::move(proposal), response);
}

grpc::ServerUnaryReactor* KvService::Compact(grpc::CallbackServerContext* call,
                                             const etcdserverpb::CompactionRequest* request,
                                             etcdserverpb::CompactionResponse* response) {
  regentpb::InternalRequest proposal;
  *proposal.mutable_compaction() = *request;
  return propose_write<kv::CompactionResponse>(ctx_, call, std::move(proposal), response);
}

}  // namespace regent::server
