// append: transactions of one to three reads and appends over a few keys, each key's value a list
// of unique elements (Jepsen's list-append, as it ran against etcd). A transaction reads its keys
// (a read-only Txn), then commits with one Txn guarded by every key's mod revision being what it
// read, writing the lists it extends; a failed guard is a failed transaction. Checked by
// check_append (append_checker.h).
//
// Keys rotate in groups of kKeys, kTxnsPerGroup transactions each, so that lists stay short.
#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include "append_checker.h"
#include "workload.h"

namespace regent::chaos {

class AppendWorkload : public Workload {
 public:
  static constexpr uint64_t kKeys = 5;
  static constexpr uint64_t kTxnsPerGroup = 400;

  AppendWorkload(Cluster& cluster, OpLog& log) : cluster_(cluster), log_(log) {}
  std::string name() const override { return "append"; }
  void step(int worker, Prng& rng) override;
  CheckResult check() override;

 private:
  Cluster& cluster_;
  OpLog& log_;
  std::atomic<uint64_t> next_txn_{0};
  std::atomic<uint64_t> next_element_{1};
  std::mutex mu_;
  std::vector<AppendTxn> txns_;
};

}  // namespace regent::chaos
