// set: each operation adds one unique element (a key of its own under a prefix); once the faults
// are healed, one linearizable read of the whole prefix. No acknowledged add may be missing
// from it (an acknowledged write lost), and nothing may be in it that no client ever added.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <set>

#include "workload.h"

namespace regent::chaos {

class SetWorkload : public Workload {
 public:
  SetWorkload(Cluster& cluster, OpLog& log) : cluster_(cluster), log_(log) {}
  std::string name() const override { return "set"; }
  void step(int worker, Prng& rng) override;
  void finish() override;
  CheckResult check() override;

 private:
  struct Add {
    uint64_t element = 0;
    uint64_t invoke_us = 0;
    uint64_t complete_us = 0;
    Outcome outcome = Outcome::kOk;
  };

  Cluster& cluster_;
  OpLog& log_;
  std::atomic<uint64_t> next_{0};
  std::mutex mu_;
  std::vector<Add> adds_;
  std::optional<std::set<uint64_t>> final_read_;
  uint64_t final_read_us_ = 0;
  std::string final_read_error_;
};

}  // namespace regent::chaos
