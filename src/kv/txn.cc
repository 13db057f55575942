// Txn, in etcd's order: check the request; evaluate every compare on the path the txn will
// take (nested txns included) against the store as it stands, before any op runs; check the
// ops on that path against the store (ignore_value/ignore_lease keys, range revisions); only
// then apply the ops, each seeing the changes of the ones before. Since nothing can fail once
// applying starts, a txn applies whole or not at all.
#include <variant>

#include "common/assert.h"
#include "kv/store.h"
#include "kv/validate.h"

namespace regent::kv {

// The branch each txn on the path takes, in the order the path meets them (depth first).
struct Store::TxnPath {
  const std::vector<bool>& taken;
  size_t next = 0;

  bool pop() {
    REGENT_ASSERT(next < taken.size(), "txn path too short");
    return taken[next++];
  }
};

namespace {

const std::vector<RequestOp>& branch(const TxnRequest& r, bool succeeded) {
  return succeeded ? r.success : r.failure;
}

// Calls check(op) for every non-txn op on the path, stopping at the first error.
template <class Check>
Expected<void, Error> walk_path(const TxnRequest& r, const std::vector<bool>& path, size_t& next,
                                const Check& check) {
  REGENT_ASSERT(next < path.size(), "txn path too short");
  for (const RequestOp& op : branch(r, path[next++])) {
    const auto* nested = std::get_if<TxnRequest>(&op.request);
    auto ok = nested != nullptr ? walk_path(*nested, path, next, check) : check(op);
    if (!ok) return ok;
  }
  return {};
}

}  // namespace

void Store::evaluate_compares(const TxnRequest& r, std::vector<bool>& path) const {
  bool holds = true;
  for (const Compare& c : r.compare) {
    if (!compare_holds(c)) {
      holds = false;
      break;
    }
  }
  path.push_back(holds);
  for (const RequestOp& op : branch(r, holds)) {
    if (const auto* nested = std::get_if<TxnRequest>(&op.request)) {
      evaluate_compares(*nested, path);
    }
  }
}

Expected<void, Error> Store::check_txn_path(const TxnRequest& r,
                                            const std::vector<bool>& path) const {
  size_t next = 0;
  auto puts = walk_path(r, path, next, [this](const RequestOp& op) -> Expected<void, Error> {
    const auto* put = std::get_if<PutRequest>(&op.request);
    return put != nullptr ? check_put_target(*put) : Expected<void, Error>();
  });
  if (!puts) return puts;
  next = 0;
  return walk_path(r, path, next, [this](const RequestOp& op) -> Expected<void, Error> {
    const auto* range = std::get_if<RangeRequest>(&op.request);
    if (range == nullptr || range->revision <= 0) return {};
    if (auto at = read_revision(range->revision); !at) return unexpected(at.error());
    return {};
  });
}

Expected<TxnResponse, Error> Store::txn(const TxnRequest& r) {
  if (auto ok = check_txn_request(r); !ok) return unexpected(ok.error());
  std::vector<bool> taken;
  evaluate_compares(r, taken);
  if (auto ok = check_txn_path(r, taken); !ok) return unexpected(ok.error());
  Write w = begin_write();
  TxnPath path{taken};
  TxnResponse resp = apply_txn(r, path, w);
  REGENT_ASSERT(path.next == taken.size(), "txn path not consumed");
  finish(w);
  return resp;
}

TxnResponse Store::apply_txn(const TxnRequest& r, TxnPath& path, Write& w) {
  TxnResponse resp{.succeeded = path.pop()};
  for (const RequestOp& op : branch(r, resp.succeeded)) {
    resp.responses.push_back(apply_op(op, path, w));
  }
  resp.revision = w.view();
  return resp;
}

ResponseOp Store::apply_op(const RequestOp& op, TxnPath& path, Write& w) {
  if (const auto* range = std::get_if<RangeRequest>(&op.request)) {
    const int64_t at = range->revision > 0 ? range->revision : w.view();
    return ResponseOp{apply_range(*range, at, w.view())};
  }
  if (const auto* put = std::get_if<PutRequest>(&op.request)) {
    return ResponseOp{apply_put(*put, w)};
  }
  if (const auto* del = std::get_if<DeleteRangeRequest>(&op.request)) {
    return ResponseOp{apply_delete(*del, w)};
  }
  return ResponseOp{apply_txn(std::get<TxnRequest>(op.request), path, w)};
}

}  // namespace regent::kv
