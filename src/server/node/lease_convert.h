// Conversions between etcd's Lease messages and the store's lease structs (kv/lease_types.h),
// for the log entries that carry them (grant, revoke, checkpoint). Pure: no I/O, no state.
#pragma once

#include "etcdserverpb/rpc.pb.h"
#include "kv/lease_types.h"

namespace regent::server {

kv::LeaseGrantRequest from_proto(const etcdserverpb::LeaseGrantRequest& r);
kv::LeaseRevokeRequest from_proto(const etcdserverpb::LeaseRevokeRequest& r);
kv::LeaseCheckpointRequest from_proto(const etcdserverpb::LeaseCheckpointRequest& r);

// `header` supplies everything but the revision, which the store's answer gives.
etcdserverpb::LeaseGrantResponse to_proto(const kv::LeaseGrantResponse& r,
                                          const etcdserverpb::ResponseHeader& header);
etcdserverpb::LeaseRevokeResponse to_proto(const kv::LeaseRevokeResponse& r,
                                           const etcdserverpb::ResponseHeader& header);

}  // namespace regent::server
