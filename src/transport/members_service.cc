#include "transport/members_service.h"

namespace regent::transport {

grpc::Status MembersService::Members(grpc::ServerContext*, const regentpb::MembersRequest*,
                                     regentpb::MembersResponse* response) {
  response->set_cluster_id(cluster_id_);
  for (regentpb::Member& m : members_()) *response->add_members() = std::move(m);
  return grpc::Status::OK;
}

}  // namespace regent::transport
