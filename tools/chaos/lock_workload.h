// lock: workers take one mutex (etcd's v3lock scheme through the client's Mutex, each worker with
// a session of its own) and, while holding it, make one fenced write: a txn that succeeds only if
// the fence key holds a smaller token than theirs (the lock key's create revision), and then
// stores theirs. Checked: no token is handed to two holders; no fenced write with a smaller token
// succeeds after one with a larger token completed (two holders never both succeed out of
// order); tokens grow (a lock acquired after another's acquisition completed has a larger
// token); the fence ends at the largest token written.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "workload.h"

namespace regent::client {
class Session;
}

namespace regent::chaos {

class LockWorkload : public Workload {
 public:
  // One acquisition: its fencing token and its one fenced write.
  struct Hold {
    int worker = 0;
    int64_t lease = 0;  // The session's: its lock key is <name>/<lease>.
    int64_t token = 0;
    uint64_t lock_invoke_us = 0;
    uint64_t lock_complete_us = 0;
    uint64_t write_invoke_us = 0;
    uint64_t write_complete_us = 0;
    Outcome write = Outcome::kFailed;
    bool succeeded = false;  // The fence's compare held (for an ok write).
  };

  LockWorkload(Cluster& cluster, OpLog& log) : cluster_(cluster), log_(log) {}
  std::string name() const override { return "lock"; }
  void step(int worker, Prng& rng) override;
  void finish() override;
  CheckResult check() override;

 private:
  Cluster& cluster_;
  OpLog& log_;
  std::mutex mu_;
  std::map<int, std::shared_ptr<client::Session>> sessions_;  // By worker.
  std::vector<Hold> holds_;
  std::optional<int64_t> final_fence_;
};

}  // namespace regent::chaos
