// register: reads, writes and compare-and-swaps of small values on a few keys at a time, each
// operation through a member the worker picks at random, reads linearizable; every key's
// history checked for linearizability by the simulator's Wing & Gong / Lowe checker.
//
// Keys rotate: after kOpsPerKey operations the workers move to the next key (Jepsen's
// independent keys), so that each key's search stays small even with many unknown writes.
#pragma once

#include <atomic>
#include <mutex>

#include "sim/history.h"
#include "workload.h"

namespace regent::chaos {

class RegisterWorkload : public Workload {
 public:
  static constexpr uint64_t kOpsPerKey = 150;

  RegisterWorkload(Cluster& cluster, OpLog& log) : cluster_(cluster), log_(log) {}
  std::string name() const override { return "register"; }
  void step(int worker, Prng& rng) override;
  CheckResult check() override;

 private:
  Cluster& cluster_;
  OpLog& log_;
  std::atomic<uint64_t> issued_{0};
  std::mutex mu_;
  sim::History history_;
};

}  // namespace regent::chaos
