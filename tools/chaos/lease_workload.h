// lease: a key attached to a short lease that nobody keeps alive, then read again and again
// through random members. Once a read has observed the key gone (the lease expired, or was
// revoked with it), no read invoked after that one completed may see the key again.
//
// Each worker handles one lease at a time: grant (TTL 2 s), put the key with it, then reads for
// up to 6 s. The clock nemesis moves members' wall clocks meanwhile; leases must stay safe.
#pragma once

#include <mutex>
#include <vector>

#include "workload.h"

namespace regent::chaos {

class LeaseWorkload : public Workload {
 public:
  LeaseWorkload(Cluster& cluster, OpLog& log) : cluster_(cluster), log_(log) {}
  std::string name() const override { return "lease"; }
  void step(int worker, Prng& rng) override;
  CheckResult check() override;

 private:
  struct Read {
    uint64_t invoke_us = 0;
    uint64_t complete_us = 0;
    bool present = false;
    int member = 0;
  };
  struct LeasedKey {
    std::string key;
    int64_t lease = 0;
    uint64_t put_complete_us = 0;
    std::vector<Read> reads;  // Ok reads invoked after the put completed.
  };

  Cluster& cluster_;
  OpLog& log_;
  std::mutex mu_;
  std::vector<LeasedKey> keys_;
};

}  // namespace regent::chaos
