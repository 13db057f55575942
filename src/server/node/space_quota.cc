#include "server/node/space_quota.h"

#include <algorithm>

#include "kv/store_weight.h"

namespace regent::server {

namespace {

uint64_t put_cost(const etcdserverpb::PutRequest& put) {
  return kv::kKeyWeight + kv::kRecordWeight + put.key().size() + put.value().size();
}

uint64_t txn_cost(const etcdserverpb::TxnRequest& txn) {
  // Either branch may run: the dearer one is what the txn may take.
  uint64_t dearest = 0;
  for (const auto* branch : {&txn.success(), &txn.failure()}) {
    uint64_t cost = 0;
    for (const etcdserverpb::RequestOp& op : *branch) {
      if (op.has_request_put()) cost += put_cost(op.request_put());
      if (op.has_request_txn()) cost += txn_cost(op.request_txn());
    }
    dearest = std::max(dearest, cost);
  }
  return dearest;
}

}  // namespace

uint64_t space_cost(const regentpb::InternalRequest& request) {
  if (request.has_put()) return put_cost(request.put());
  if (request.has_txn()) return txn_cost(request.txn());
  if (request.has_lease_grant()) return kv::kLeaseWeight;
  return 0;
}

uint64_t quota_from_flag(int64_t flag) {
  if (flag < 0) return 0;
  if (flag == 0) return kDefaultQuotaBytes;
  return static_cast<uint64_t>(flag);
}

}  // namespace regent::server
