#include "server/node/lease_convert.h"

namespace regent::server {

kv::LeaseGrantRequest from_proto(const etcdserverpb::LeaseGrantRequest& r) {
  return kv::LeaseGrantRequest{.id = r.id(), .ttl = r.ttl()};
}

kv::LeaseRevokeRequest from_proto(const etcdserverpb::LeaseRevokeRequest& r) {
  return kv::LeaseRevokeRequest{.id = r.id()};
}

kv::LeaseCheckpointRequest from_proto(const etcdserverpb::LeaseCheckpointRequest& r) {
  kv::LeaseCheckpointRequest out;
  out.checkpoints.reserve(static_cast<size_t>(r.checkpoints_size()));
  for (const etcdserverpb::LeaseCheckpoint& c : r.checkpoints()) {
    out.checkpoints.push_back({.id = c.id(), .remaining_ttl = c.remaining_ttl()});
  }
  return out;
}

etcdserverpb::LeaseGrantResponse to_proto(const kv::LeaseGrantResponse& r,
                                          const etcdserverpb::ResponseHeader& header) {
  etcdserverpb::LeaseGrantResponse out;
  *out.mutable_header() = header;
  out.mutable_header()->set_revision(r.revision);
  out.set_id(r.id);
  out.set_ttl(r.ttl);
  return out;
}

etcdserverpb::LeaseRevokeResponse to_proto(const kv::LeaseRevokeResponse& r,
                                           const etcdserverpb::ResponseHeader& header) {
  etcdserverpb::LeaseRevokeResponse out;
  *out.mutable_header() = header;
  out.mutable_header()->set_revision(r.revision);
  return out;
}

}  // namespace regent::server
