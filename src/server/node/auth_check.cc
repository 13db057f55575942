#include "server/node/auth_check.h"

#include "server/node/auth_errors.h"

namespace regent::server {

namespace {

namespace err = auth_error;
using Refusal = std::optional<kv::Error>;
constexpr auto kRead = regentpb::READ;
constexpr auto kWrite = regentpb::WRITE;

// Checks one request's keys for a caller that passed caller_refusal().
class KeyCheck {
 public:
  KeyCheck(const AuthStore& auth, const kv::Store& store, std::string_view user)
      : auth_(auth), store_(store), user_(user) {}

  Refusal need(regentpb::AuthPermissionType type, std::string_view key,
               std::string_view range_end = {}) const {
    if (auth_.permitted(user_, type, key, range_end)) return std::nullopt;
    return err::denied();
  }

  Refusal lease_keys(int64_t lease) const {
    if (lease == 0) return std::nullopt;
    const kv::Lease* l = store_.leases().find(lease);
    if (!l) return std::nullopt;  // The store answers "requested lease not found" itself.
    for (const std::string& key : l->keys) {
      if (auto r = need(kWrite, key)) return r;
    }
    return std::nullopt;
  }

  Refusal put(const etcdserverpb::PutRequest& r) const {
    if (auto x = need(kWrite, r.key())) return x;
    if (r.prev_kv()) {
      if (auto x = need(kRead, r.key())) return x;
    }
    return lease_keys(r.lease());
  }

  Refusal delete_range(const etcdserverpb::DeleteRangeRequest& r) const {
    if (auto x = need(kWrite, r.key(), r.range_end())) return x;
    if (r.prev_kv()) return need(kRead, r.key(), r.range_end());
    return std::nullopt;
  }

  Refusal ops(const google::protobuf::RepeatedPtrField<etcdserverpb::RequestOp>& ops) const {
    for (const etcdserverpb::RequestOp& op : ops) {
      Refusal r;
      switch (op.request_case()) {
        case etcdserverpb::RequestOp::kRequestRange:
          r = need(kRead, op.request_range().key(), op.request_range().range_end());
          break;
        case etcdserverpb::RequestOp::kRequestPut:
          r = put(op.request_put());
          break;
        case etcdserverpb::RequestOp::kRequestDeleteRange:
          r = delete_range(op.request_delete_range());
          break;
        case etcdserverpb::RequestOp::kRequestTxn:
          r = txn(op.request_txn());
          break;
        case etcdserverpb::RequestOp::REQUEST_NOT_SET:
          break;
      }
      if (r) return r;
    }
    return std::nullopt;
  }

  Refusal txn(const etcdserverpb::TxnRequest& r) const {
    for (const etcdserverpb::Compare& c : r.compare()) {
      if (auto x = need(kRead, c.key(), c.range_end())) return x;
    }
    if (auto x = ops(r.success())) return x;
    return ops(r.failure());
  }

 private:
  const AuthStore& auth_;
  const kv::Store& store_;
  std::string_view user_;
};

bool raises_or_clears(const etcdserverpb::AlarmRequest& r) {
  return r.action() != etcdserverpb::AlarmRequest::GET;
}

}  // namespace

Refusal caller_refusal(const AuthStore& auth, const regentpb::AuthCaller& caller) {
  if (!auth.enabled()) return std::nullopt;
  if (caller.username().empty()) return err::invalid(err::kUserEmpty);
  if (caller.auth_revision() < auth.revision()) return err::invalid(err::kAuthOldRevision);
  return std::nullopt;
}

Refusal access_refusal(const AuthStore& auth, const regentpb::AuthCaller& caller,
                       regentpb::AuthPermissionType need, std::string_view key,
                       std::string_view range_end) {
  if (auto r = caller_refusal(auth, caller)) return r;
  if (auth.permitted(caller.username(), need, key, range_end)) return std::nullopt;
  return err::denied();
}

Refusal admin_refusal(const AuthStore& auth, const regentpb::AuthCaller& caller) {
  if (auto r = caller_refusal(auth, caller)) return r;
  if (!auth.enabled()) return std::nullopt;
  if (!auth.user(caller.username())) return err::refused(err::kUserNotFound);
  if (!auth.is_root(caller.username())) return err::denied();
  return std::nullopt;
}

Refusal auth_refusal(const AuthStore& auth, const kv::Store& store,
                     const regentpb::InternalRequest& request) {
  if (!request.header().has_caller() || !auth.enabled()) return std::nullopt;
  const regentpb::AuthCaller& caller = request.header().caller();
  using R = regentpb::InternalRequest;
  // Authenticate needs no caller: the member checked the password before proposing.
  if (request.request_case() == R::kAuth && request.auth().has_authenticate()) return std::nullopt;
  if (auto r = caller_refusal(auth, caller)) return r;
  const KeyCheck keys(auth, store, caller.username());
  switch (request.request_case()) {
    case R::kPut:
      return keys.put(request.put());
    case R::kDeleteRange:
      return keys.delete_range(request.delete_range());
    case R::kTxn:
      return keys.txn(request.txn());
    case R::kLeaseRevoke:
      return keys.lease_keys(request.lease_revoke().id());
    case R::kLeaseGrant:
      if (!auth.user(caller.username())) return err::denied();
      return std::nullopt;
    case R::kCompaction:
    case R::kAuth:
    case R::kMemberChange:
      return admin_refusal(auth, caller);
    case R::kAlarm:
      if (raises_or_clears(request.alarm())) return admin_refusal(auth, caller);
      return std::nullopt;
    case R::kPublish:
    case R::kLeaseCheckpoint:
    case R::REQUEST_NOT_SET:
      break;
  }
  return std::nullopt;
}

}  // namespace regent::server
