#include "client/internal/convert.h"

namespace regent::client::internal {

ResponseHeader from_pb(const etcdserverpb::ResponseHeader& pb) {
  return ResponseHeader{.cluster_id = pb.cluster_id(),
                        .member_id = pb.member_id(),
                        .revision = pb.revision(),
                        .raft_term = pb.raft_term()};
}

KeyValue from_pb(const mvccpb::KeyValue& pb) {
  return KeyValue{.key = pb.key(),
                  .create_revision = pb.create_revision(),
                  .mod_revision = pb.mod_revision(),
                  .version = pb.version(),
                  .value = pb.value(),
                  .lease = pb.lease()};
}

GetResponse from_pb(const etcdserverpb::RangeResponse& pb) {
  GetResponse r{.header = from_pb(pb.header()), .more = pb.more(), .count = pb.count()};
  r.kvs.reserve(pb.kvs_size());
  for (const auto& kv : pb.kvs()) r.kvs.push_back(from_pb(kv));
  return r;
}

PutResponse from_pb(const etcdserverpb::PutResponse& pb) {
  PutResponse r{.header = from_pb(pb.header())};
  if (pb.has_prev_kv()) r.prev_kv = from_pb(pb.prev_kv());
  return r;
}

DeleteResponse from_pb(const etcdserverpb::DeleteRangeResponse& pb) {
  DeleteResponse r{.header = from_pb(pb.header()), .deleted = pb.deleted()};
  for (const auto& kv : pb.prev_kvs()) r.prev_kvs.push_back(from_pb(kv));
  return r;
}

TxnResponse from_pb(const etcdserverpb::TxnResponse& pb) {
  TxnResponse r{.header = from_pb(pb.header()), .succeeded = pb.succeeded()};
  for (const auto& op : pb.responses()) {
    OpResponse out;
    switch (op.response_case()) {
      case etcdserverpb::ResponseOp::kResponseRange:
        out.type = Op::Type::kGet;
        out.get = from_pb(op.response_range());
        break;
      case etcdserverpb::ResponseOp::kResponsePut:
        out.type = Op::Type::kPut;
        out.put = from_pb(op.response_put());
        break;
      case etcdserverpb::ResponseOp::kResponseDeleteRange:
        out.type = Op::Type::kDelete;
        out.del = from_pb(op.response_delete_range());
        break;
      default:  // Nested txns are never sent, so never answered.
        continue;
    }
    r.responses.push_back(std::move(out));
  }
  return r;
}

std::string range_end_for(const std::string& key, const std::string& range_end, bool prefix,
                          bool from_key) {
  if (prefix) return prefix_range_end(key);
  if (from_key) return from_key_range_end();
  return range_end;
}

etcdserverpb::RangeRequest to_pb(const std::string& key, const GetOptions& o) {
  etcdserverpb::RangeRequest r;
  // etcd's WithFromKey on an empty key means every key: key "\0", range_end "\0".
  r.set_key(key.empty() && (o.from_key || o.prefix) ? std::string(1, '\0') : key);
  r.set_range_end(range_end_for(key, o.range_end, o.prefix, o.from_key));
  r.set_limit(o.limit);
  r.set_revision(o.revision);
  r.set_sort_order(static_cast<etcdserverpb::RangeRequest::SortOrder>(o.sort_order));
  r.set_sort_target(static_cast<etcdserverpb::RangeRequest::SortTarget>(o.sort_target));
  r.set_serializable(o.serializable);
  r.set_keys_only(o.keys_only);
  r.set_count_only(o.count_only);
  r.set_min_mod_revision(o.min_mod_revision);
  r.set_max_mod_revision(o.max_mod_revision);
  r.set_min_create_revision(o.min_create_revision);
  r.set_max_create_revision(o.max_create_revision);
  return r;
}

etcdserverpb::PutRequest to_pb(const std::string& key, const std::string& value,
                               const PutOptions& o) {
  etcdserverpb::PutRequest r;
  r.set_key(key);
  r.set_value(value);
  r.set_lease(o.lease);
  r.set_prev_kv(o.prev_kv);
  r.set_ignore_value(o.ignore_value);
  r.set_ignore_lease(o.ignore_lease);
  return r;
}

etcdserverpb::DeleteRangeRequest to_pb(const std::string& key, const DeleteOptions& o) {
  etcdserverpb::DeleteRangeRequest r;
  r.set_key(key.empty() && (o.from_key || o.prefix) ? std::string(1, '\0') : key);
  r.set_range_end(range_end_for(key, o.range_end, o.prefix, o.from_key));
  r.set_prev_kv(o.prev_kv);
  return r;
}

namespace {

etcdserverpb::Compare compare_to_pb(const Compare& c) {
  etcdserverpb::Compare r;
  r.set_result(static_cast<etcdserverpb::Compare::CompareResult>(c.relation));
  r.set_target(static_cast<etcdserverpb::Compare::CompareTarget>(c.target));
  r.set_key(c.key);
  r.set_range_end(c.range_end);
  switch (c.target) {
    case Compare::Target::kVersion:
      r.set_version(c.number);
      break;
    case Compare::Target::kCreate:
      r.set_create_revision(c.number);
      break;
    case Compare::Target::kMod:
      r.set_mod_revision(c.number);
      break;
    case Compare::Target::kValue:
      r.set_value(c.value);
      break;
    case Compare::Target::kLease:
      r.set_lease(c.number);
      break;
  }
  return r;
}

void add_ops(const std::vector<Op>& ops,
             google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>* out) {
  for (const auto& op : ops) {
    auto* r = out->Add();
    switch (op.type) {
      case Op::Type::kGet:
        *r->mutable_request_range() = to_pb(op.key, op.get);
        break;
      case Op::Type::kPut:
        *r->mutable_request_put() = to_pb(op.key, op.value, op.put);
        break;
      case Op::Type::kDelete:
        *r->mutable_request_delete_range() = to_pb(op.key, op.del);
        break;
    }
  }
}

}  // namespace

etcdserverpb::TxnRequest to_pb(const Txn& txn) {
  etcdserverpb::TxnRequest r;
  for (const auto& c : txn.compare) *r.add_compare() = compare_to_pb(c);
  add_ops(txn.success, r.mutable_success());
  add_ops(txn.failure, r.mutable_failure());
  return r;
}

}  // namespace regent::client::internal
