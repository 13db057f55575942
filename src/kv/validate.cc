#include "kv/validate.h"

#include <set>
#include <string_view>
#include <vector>

namespace regent::kv {

namespace {

Expected<void, Error> check_op(const RequestOp& op, int depth);

Expected<void, Error> check_txn_ops(const TxnRequest& r, int depth) {
  if (depth > kMaxTxnDepth) return unexpected(invalid_argument(kTooManyOpsMessage));
  for (const Compare& c : r.compare) {
    if (auto range = KeyRange::parse(c.key, c.range_end); !range) {
      return unexpected(range.error());
    }
  }
  for (const auto* ops : {&r.success, &r.failure}) {
    for (const RequestOp& op : *ops) {
      if (auto ok = check_op(op, depth); !ok) return ok;
    }
  }
  return {};
}

template <class T>
Expected<void, Error> drop_value(Expected<T, Error> e) {
  if (!e) return unexpected(e.error());
  return {};
}

Expected<void, Error> check_op(const RequestOp& op, int depth) {
  return std::visit(
      [depth](const auto& req) -> Expected<void, Error> {
        using T = std::decay_t<decltype(req)>;
        if constexpr (std::is_same_v<T, RangeRequest>) return drop_value(check_range_request(req));
        if constexpr (std::is_same_v<T, PutRequest>) return check_put_request(req);
        if constexpr (std::is_same_v<T, DeleteRangeRequest>) {
          return drop_value(check_delete_request(req));
        }
        if constexpr (std::is_same_v<T, TxnRequest>) return check_txn_ops(req, depth + 1);
      },
      op.request);
}

// The keys one branch of a txn may write. Views into the request.
struct WriteSet {
  std::set<std::string_view> puts;
  std::vector<KeyRange> deletes;
};

bool covered(const std::vector<KeyRange>& deletes, std::string_view key) {
  for (const KeyRange& d : deletes) {
    if (d.contains(key)) return true;
  }
  return false;
}

bool covers_a_put(const std::set<std::string_view>& puts, const KeyRange& d) {
  auto it = puts.lower_bound(d.begin());
  return it != puts.end() && d.contains(*it);
}

// Whether the writes of `a` and `b` together could write a key twice (symmetric).
bool conflicts(const WriteSet& a, const WriteSet& b) {
  for (std::string_view k : b.puts) {
    if (a.puts.count(k) != 0 || covered(a.deletes, k)) return true;
  }
  for (const KeyRange& d : b.deletes) {
    if (covers_a_put(a.puts, d)) return true;
  }
  return false;
}

void absorb(WriteSet& into, const WriteSet& from) {
  into.puts.insert(from.puts.begin(), from.puts.end());
  into.deletes.insert(into.deletes.end(), from.deletes.begin(), from.deletes.end());
}

Expected<WriteSet, Error> collect_writes(const std::vector<RequestOp>& ops);

// What one op may write: a nested txn, either of its branches (they exclude each other).
Expected<WriteSet, Error> writes_of(const RequestOp& op) {
  WriteSet w;
  if (const auto* put = std::get_if<PutRequest>(&op.request)) {
    w.puts.insert(put->key);
  } else if (const auto* del = std::get_if<DeleteRangeRequest>(&op.request)) {
    w.deletes.push_back(KeyRange::checked(del->key, del->range_end));
  } else if (const auto* txn = std::get_if<TxnRequest>(&op.request)) {
    for (const auto* branch : {&txn->success, &txn->failure}) {
      auto writes = collect_writes(*branch);
      if (!writes) return writes;
      absorb(w, *writes);
    }
  }
  return w;
}

Expected<WriteSet, Error> collect_writes(const std::vector<RequestOp>& ops) {
  WriteSet all;
  for (const RequestOp& op : ops) {
    auto w = writes_of(op);
    if (!w) return w;
    if (conflicts(all, *w)) {
      return unexpected(invalid_argument(kDuplicateKeyMessage));
    }
    absorb(all, *w);
  }
  return all;
}

}  // namespace

Expected<KeyRange, Error> check_range_request(const RangeRequest& r) {
  return KeyRange::parse(r.key, r.range_end);
}

Expected<void, Error> check_put_request(const PutRequest& r) {
  if (r.key.empty()) return unexpected(invalid_argument(kEmptyKeyMessage));
  if (r.ignore_value && !r.value.empty()) {
    return unexpected(invalid_argument(kValueProvidedMessage));
  }
  if (r.ignore_lease && r.lease != 0) return unexpected(invalid_argument(kLeaseProvidedMessage));
  return {};
}

Expected<KeyRange, Error> check_delete_request(const DeleteRangeRequest& r) {
  return KeyRange::parse(r.key, r.range_end);
}

Expected<void, Error> check_txn_request(const TxnRequest& r) {
  if (auto ok = check_txn_ops(r, 1); !ok) return ok;
  for (const auto* branch : {&r.success, &r.failure}) {
    if (auto w = collect_writes(*branch); !w) return unexpected(w.error());
  }
  return {};
}

}  // namespace regent::kv
