#include "register_workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "client/kv.h"
#include "sim/linearizability.h"

namespace regent::chaos {

void RegisterWorkload::step(int worker, Prng& rng) {
  const uint64_t n = issued_.fetch_add(1);
  sim::Operation op;
  op.client = static_cast<uint64_t>(worker);
  op.key = fmt::format("rgchaos/register/{:06}", n / kOpsPerKey);
  const int member = static_cast<int>(rng.uniform(static_cast<uint64_t>(cluster_.size())));
  client::KV kv(cluster_.client(member));
  const uint64_t kind = rng.uniform(4);  // Half reads, a quarter writes, a quarter swaps.
  Outcome outcome = Outcome::kOk;
  std::string error;
  op.invoke_time = run_micros();
  if (kind < 2) {
    op.type = sim::OpType::kGet;
    auto r = kv.get(op.key);
    // A read that failed changed nothing, whatever the reason: it is dropped by the checker.
    outcome = r ? Outcome::kOk : Outcome::kFailed;
    error = error_of(r);
    if (r && !r->kvs.empty()) op.result = r->kvs.front().value;
  } else if (kind == 2) {
    op.type = sim::OpType::kPut;
    op.value = std::to_string(rng.uniform(5));
    auto r = kv.put(op.key, op.value);
    outcome = outcome_of_write(r);
    error = error_of(r);
  } else {
    op.type = sim::OpType::kCas;
    op.expected = std::to_string(rng.uniform(5));
    op.value = std::to_string(rng.uniform(5));
    client::Txn txn;
    txn.compare.push_back(
        client::Compare::value_of(op.key, client::Compare::Relation::kEqual, *op.expected));
    txn.success.push_back(client::Op::put_op(op.key, op.value));
    auto r = kv.txn(txn);
    outcome = outcome_of_write(r);
    error = error_of(r);
    if (r) op.swapped = r->succeeded;
  }
  const uint64_t done = run_micros();
  op.outcome = outcome == Outcome::kOk       ? sim::Outcome::kOk
               : outcome == Outcome::kFailed ? sim::Outcome::kFailed
                                             : sim::Outcome::kUnknown;
  op.complete_time = outcome == Outcome::kUnknown ? sim::kNever : done;
  log_.record(name(), op.invoke_time, done, outcome, error);
  std::lock_guard lock(mu_);
  history_.push_back(std::move(op));
}

CheckResult RegisterWorkload::check() {
  CheckResult out;
  sim::History history;
  {
    std::lock_guard lock(mu_);
    history = history_;
  }
  // The checker stops at the first key it cannot linearize; checking key by key finds them all.
  std::map<std::string, sim::History> by_key;
  for (auto& op : history) by_key[op.key].push_back(op);
  for (auto& [key, ops] : by_key) {
    auto r = sim::check_linearizable(ops, 2'000'000);
    if (r.inconclusive) {
      out.notes.push_back(fmt::format("register: key {} inconclusive (search budget)", key));
    }
    if (r.linearizable) continue;
    Violation v{name(), fmt::format("key {} is not linearizable", key), {}};
    std::istringstream lines(r.explanation);
    for (std::string line; std::getline(lines, line);) v.history.push_back(line);
    out.violations.push_back(std::move(v));
  }
  return out;
}

}  // namespace regent::chaos
