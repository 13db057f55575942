#include "append_workload.h"

#include <fmt/format.h>

#include <sstream>

#include "client/kv.h"

namespace regent::chaos {

namespace {

std::vector<uint64_t> parse_list(const std::string& value) {
  std::vector<uint64_t> out;
  std::istringstream in(value);
  for (uint64_t e; in >> e;) out.push_back(e);
  return out;
}

std::string with_element(const std::string& value, uint64_t e) {
  return value.empty() ? std::to_string(e) : value + " " + std::to_string(e);
}

}  // namespace

void AppendWorkload::step(int worker, Prng& rng) {
  AppendTxn t{.id = next_txn_.fetch_add(1), .worker = worker};
  const uint64_t group = t.id / kTxnsPerGroup;
  // Distinct keys: a transaction touches each of its keys once.
  std::vector<uint64_t> keys;
  const uint64_t n = rng.between(1, 3);
  while (keys.size() < n) {
    const uint64_t k = rng.uniform(kKeys);
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  for (uint64_t k : keys) {
    MicroOp op{.key = fmt::format("rgchaos/append/{:05}/{}", group, k)};
    op.append = rng.chance(1, 2);
    if (op.append) op.element = next_element_.fetch_add(1);
    t.ops.push_back(std::move(op));
  }
  client::KV kv(
      cluster_.client(static_cast<int>(rng.uniform(static_cast<uint64_t>(cluster_.size())))));
  t.invoke_us = run_micros();
  client::Txn read;
  for (const auto& op : t.ops) read.success.push_back(client::Op::get_op(op.key));
  auto got = kv.txn(read);
  std::string error;
  bool writes = false;
  for (const auto& op : t.ops) writes = writes || op.append;
  if (!got) {
    t.outcome = Outcome::kFailed;  // Nothing was written yet.
    error = error_of(got);
  } else {
    client::Txn commit;
    std::vector<std::string> values(t.ops.size());
    for (size_t i = 0; i < t.ops.size(); ++i) {
      const auto& kvs = got->responses[i].get.kvs;
      const int64_t mod = kvs.empty() ? 0 : kvs.front().mod_revision;
      values[i] = kvs.empty() ? "" : kvs.front().value;
      commit.compare.push_back(
          client::Compare::mod_revision(t.ops[i].key, client::Compare::Relation::kEqual, mod));
      if (t.ops[i].append) {
        commit.success.push_back(
            client::Op::put_op(t.ops[i].key, with_element(values[i], t.ops[i].element)));
      }
    }
    bool ok = true;
    if (writes) {
      auto r = kv.txn(commit);
      t.outcome = outcome_of_write(r);
      error = error_of(r);
      if (r && !r->succeeded) {
        t.outcome = Outcome::kFailed;  // The guard failed: nothing was written.
        error = "guard failed (a key changed since it was read)";
      }
      ok = t.outcome == Outcome::kOk;
    } else {
      t.outcome = Outcome::kOk;  // A read-only Txn is one atomic read.
    }
    if (ok) {
      for (size_t i = 0; i < t.ops.size(); ++i) {
        if (!t.ops[i].append) t.ops[i].read = parse_list(values[i]);
      }
    }
  }
  t.complete_us = run_micros();
  log_.record(name(), t.invoke_us, t.complete_us, t.outcome, error);
  std::lock_guard lock(mu_);
  txns_.push_back(std::move(t));
}

CheckResult AppendWorkload::check() {
  std::lock_guard lock(mu_);
  return check_append(txns_);
}

}  // namespace regent::chaos
