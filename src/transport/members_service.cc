#include "transport/members_service.h"

namespace regent::transport {

grpc::Status MembersService::Members(grpc::ServerContext*, const regentpb::MembersRequest*,
                                     regentpb::MembersResponse* response) {
  response->set_cluster_id(cluster_id_);
  for (regentpb::Member& m : members_()) *response->add_members() = std::move(m);
  return grpc::Status::OK;
}

grpc::Status MembersService::HashKV(grpc::ServerContext*,
                                    const etcdserverpb::HashKVRequest* request,
                                    etcdserverpb::HashKVResponse* response) {
  if (!hash_kv_) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no store hash here");
  return hash_kv_(*request, response);
}

}  // namespace regent::transport
