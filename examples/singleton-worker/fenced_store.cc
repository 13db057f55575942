#include "fenced_store.h"

#include <fmt/format.h>

namespace regent::examples {

std::string FencedStore::encode_token(int64_t token) { return fmt::format("{:020d}", token); }

client::Result<WriteOutcome> FencedStore::write(int64_t token, const std::string& unit,
                                                const std::string& stamp) const {
  using client::Compare;
  using client::Op;
  client::Txn txn;
  txn.compare.push_back(
      Compare::value_of(prefix_ + "fence", Compare::Relation::kGreater, encode_token(token)));
  txn.failure.push_back(Op::put_op(prefix_ + "fence", encode_token(token)));
  txn.failure.push_back(Op::put_op(prefix_ + "units/" + unit, stamp));
  auto r = kv_.txn(txn);
  if (!r) return client::fail(r.error());
  return r->succeeded ? WriteOutcome::kRefused : WriteOutcome::kWritten;
}

client::Result<int64_t> FencedStore::fence() const {
  auto r = kv_.get(prefix_ + "fence");
  if (!r) return client::fail(r.error());
  if (r->kvs.empty()) return int64_t{0};
  return static_cast<int64_t>(std::stoll(r->kvs.front().value));
}

}  // namespace regent::examples
