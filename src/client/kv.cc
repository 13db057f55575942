#include "client/kv.h"

#include "client/internal/call.h"
#include "client/internal/connections.h"
#include "client/internal/convert.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace regent::client {

using internal::CallPolicy;
using internal::Retry;

Compare Compare::version(std::string key, Relation r, int64_t v) {
  return Compare{.relation = r, .target = Target::kVersion, .key = std::move(key), .number = v};
}
Compare Compare::create_revision(std::string key, Relation r, int64_t rev) {
  return Compare{.relation = r, .target = Target::kCreate, .key = std::move(key), .number = rev};
}
Compare Compare::mod_revision(std::string key, Relation r, int64_t rev) {
  return Compare{.relation = r, .target = Target::kMod, .key = std::move(key), .number = rev};
}
Compare Compare::value_of(std::string key, Relation r, std::string value) {
  return Compare{
      .relation = r, .target = Target::kValue, .key = std::move(key), .value = std::move(value)};
}
Compare Compare::lease(std::string key, Relation r, int64_t lease) {
  return Compare{.relation = r, .target = Target::kLease, .key = std::move(key), .number = lease};
}

Op Op::get_op(std::string key, GetOptions options) {
  return Op{.type = Type::kGet, .key = std::move(key), .get = std::move(options)};
}
Op Op::put_op(std::string key, std::string value, PutOptions options) {
  return Op{.type = Type::kPut, .key = std::move(key), .value = std::move(value), .put = options};
}
Op Op::delete_op(std::string key, DeleteOptions options) {
  return Op{.type = Type::kDelete, .key = std::move(key), .del = std::move(options)};
}

bool Txn::read_only() const {
  for (const auto* branch : {&success, &failure}) {
    for (const auto& op : *branch) {
      if (op.type != Op::Type::kGet) return false;
    }
  }
  return true;
}

namespace {

template <class Response, class Request, class Method>
Result<Response> kv_call(Client& client, const Context& ctx, Retry retry, const Request& request,
                         Method method) {
  Response response;
  auto done =
      internal::call(client.connections(), ctx, CallPolicy{.retry = retry},
                     [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& cc) {
                       auto stub = etcdserverpb::KV::NewStub(channel);
                       return ((*stub).*method)(&cc, request, &response);
                     });
  if (!done) return fail(done.error());
  return response;
}

}  // namespace

Result<GetResponse> KV::get(const std::string& key, const GetOptions& options,
                            const Context& ctx) const {
  auto r = kv_call<etcdserverpb::RangeResponse>(*client_, ctx, Retry::kIdempotent,
                                                internal::to_pb(key, options),
                                                &etcdserverpb::KV::Stub::Range);
  if (!r) return fail(r.error());
  return internal::from_pb(*r);
}

Result<PutResponse> KV::put(const std::string& key, const std::string& value,
                            const PutOptions& options, const Context& ctx) const {
  auto r = kv_call<etcdserverpb::PutResponse>(*client_, ctx, Retry::kWrite,
                                              internal::to_pb(key, value, options),
                                              &etcdserverpb::KV::Stub::Put);
  if (!r) return fail(r.error());
  return internal::from_pb(*r);
}

Result<DeleteResponse> KV::del(const std::string& key, const DeleteOptions& options,
                               const Context& ctx) const {
  auto r = kv_call<etcdserverpb::DeleteRangeResponse>(*client_, ctx, Retry::kWrite,
                                                      internal::to_pb(key, options),
                                                      &etcdserverpb::KV::Stub::DeleteRange);
  if (!r) return fail(r.error());
  return internal::from_pb(*r);
}

Result<TxnResponse> KV::txn(const Txn& txn, const Context& ctx) const {
  // A txn of reads only changes nothing, so it may be repeated like a read.
  const Retry retry = txn.read_only() ? Retry::kIdempotent : Retry::kWrite;
  auto r = kv_call<etcdserverpb::TxnResponse>(*client_, ctx, retry, internal::to_pb(txn),
                                              &etcdserverpb::KV::Stub::Txn);
  if (!r) return fail(r.error());
  return internal::from_pb(*r);
}

Result<ResponseHeader> KV::compact(int64_t revision, bool physical, const Context& ctx) const {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(physical);
  auto r = kv_call<etcdserverpb::CompactionResponse>(*client_, ctx, Retry::kWrite, request,
                                                     &etcdserverpb::KV::Stub::Compact);
  if (!r) return fail(r.error());
  return internal::from_pb(r->header());
}

}  // namespace regent::client
