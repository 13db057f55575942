// A workload: what client workers do to the cluster during the run, the reads it makes once the
// faults are healed, and the check of everything its clients saw.
//
// Invariants:
//  - step() runs one operation on the calling worker's behalf and records it, in the OpLog and in
//    the workload's own history; it returns within the client's deadline (about 3 s).
//  - check() judges only recorded outcomes: an ok operation happened, a failed one did not, an
//    unknown one may have happened or not, at any time after its invocation (Jepsen's rule).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cluster.h"
#include "common/prng.h"
#include "op_log.h"

namespace regent::chaos {

struct Violation {
  std::string workload;
  std::string what;
  // The smallest part of the history that shows it, one operation per line.
  std::vector<std::string> history;
  // An acknowledged write missing afterwards: counted among the writes lost, not the violations.
  bool lost_write = false;
  // Past the first few of a kind a checker shows whole, violations are counted but not printed.
  bool shown = true;
};

struct CheckResult {
  std::string workload;
  std::vector<Violation> violations;
  uint64_t acknowledged_lost = 0;
  std::vector<std::string> notes;  // E.g. an inconclusive search: not a violation, but said.
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual std::string name() const = 0;
  virtual void step(int worker, Prng& rng) = 0;
  // With the faults healed and the cluster back: reads the workload needs for its check.
  virtual void finish() {}
  virtual CheckResult check() = 0;
};

// A client operation's outcome from the client library's answer (client/error.h): ok; failed
// when the client knows the write was not applied (a refusal, such as "no leader", or a call
// that never left it); unknown when the answer was lost. Trusting the client's split is itself
// checked: a "failed" write that took effect shows up as a violation.
template <class R>
Outcome outcome_of_write(const R& result) {
  if (result) return Outcome::kOk;
  return result.error().outcome_unknown ? Outcome::kUnknown : Outcome::kFailed;
}

// The client's message of a failed call, for the report's tally; empty for an ok one.
template <class R>
std::string error_of(const R& result) {
  return result ? std::string() : result.error().message;
}

std::unique_ptr<Workload> make_workload(const std::string& name, Cluster& cluster, OpLog& log);

}  // namespace regent::chaos
