// etcd's protobuf messages <-> the client's plain values. Conversions only: no I/O, no policy.
#pragma once

#include "client/kv.h"
#include "client/types.h"
#include "etcdserverpb/rpc.pb.h"
#include "mvccpb/kv.pb.h"

namespace regent::client::internal {

ResponseHeader from_pb(const etcdserverpb::ResponseHeader& pb);
KeyValue from_pb(const mvccpb::KeyValue& pb);
GetResponse from_pb(const etcdserverpb::RangeResponse& pb);
PutResponse from_pb(const etcdserverpb::PutResponse& pb);
DeleteResponse from_pb(const etcdserverpb::DeleteRangeResponse& pb);
TxnResponse from_pb(const etcdserverpb::TxnResponse& pb);

// range_end as the options ask: prefix and from_key win over an explicit range_end.
std::string range_end_for(const std::string& key, const std::string& range_end, bool prefix,
                          bool from_key);

etcdserverpb::RangeRequest to_pb(const std::string& key, const GetOptions& o);
etcdserverpb::PutRequest to_pb(const std::string& key, const std::string& value,
                               const PutOptions& o);
etcdserverpb::DeleteRangeRequest to_pb(const std::string& key, const DeleteOptions& o);
etcdserverpb::TxnRequest to_pb(const Txn& txn);

}  // namespace regent::client::internal
