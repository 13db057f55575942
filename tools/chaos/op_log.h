// What every client operation did, for the counts and the timeline: when it was invoked and
// completed (microseconds since the run began), and its outcome as Jepsen records it.
//
// Invariants:
//  - Times come from one steady clock started with the run (run_micros), so they order
//    operations across threads and match the nemesis schedule's times.
//  - An operation is recorded once, when it completes; an unknown one completes when the client
//    gave up on it.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace regent::chaos {

enum class Outcome { kOk, kFailed, kUnknown };
const char* to_string(Outcome o);

// Microseconds since the run began (the first call).
uint64_t run_micros();

struct OpSample {
  std::string workload;
  std::string error;  // Empty for an ok operation.
  uint64_t invoke_us = 0;
  uint64_t complete_us = 0;
  Outcome outcome = Outcome::kOk;
};

class OpLog {
 public:
  // `error`: the client's message for a failed or unknown operation (tallied for the report).
  void record(const std::string& workload, uint64_t invoke_us, uint64_t complete_us,
              Outcome outcome, const std::string& error = "");
  std::vector<OpSample> samples() const;
  // Counts by workload, then outcome.
  std::map<std::string, std::map<Outcome, uint64_t>> counts() const;
  uint64_t total() const;
  // Every operation, one per line: workload, invoke and complete (µs since the run began),
  // outcome, and the error of a failed or unknown one. Returns false if the file could not be
  // written.
  bool write_tsv(const std::string& path) const;
  // "workload outcome: message" -> how many times.
  std::map<std::string, uint64_t> errors() const;

 private:
  mutable std::mutex mu_;
  std::vector<OpSample> samples_;
  std::map<std::string, uint64_t> errors_;
};

}  // namespace regent::chaos
