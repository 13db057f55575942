// etcdserverpb.KV over gRPC's callback API: no thread waits for a client. A write is checked,
// proposed to the Raft loop and answered from the loop when it is applied; a linearizable read
// waits (as a callback, not a thread) for its read index to be applied, then reads the store.
#pragma once

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/service_context.h"

namespace regent::server {

class KvService final : public etcdserverpb::KV::CallbackService {
 public:
  explicit KvService(const ServiceContext& context) : ctx_(context) {}

  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* call,
                                  const etcdserverpb::RangeRequest* request,
                                  etcdserverpb::RangeResponse* response) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* call,
                                const etcdserverpb::PutRequest* request,
                                etcdserverpb::PutResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* call,
                                        const etcdserverpb::DeleteRangeRequest* request,
                                        etcdserverpb::DeleteRangeResponse* response) override;
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* call,
                                const etcdserverpb::TxnRequest* request,
                                etcdserverpb::TxnResponse* response) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* call,
                                    const etcdserverpb::CompactionRequest* request,
                                    etcdserverpb::CompactionResponse* response) override;

 private:
  const ServiceContext& ctx_;
};

}  // namespace regent::server
