// A client history: what each client asked of the replicated map and what it was told.
//
// The simulator records one Operation per client request: invoked at `invoke_time`, completed at
// `complete_time` with an outcome. An operation whose outcome is unknown (the client timed out;
// the write may or may not have happened, at any time after invocation) is kept with
// Outcome::kUnknown and complete_time = kNever.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace regent::sim {

using Time = uint64_t;  // Simulated microseconds.
inline constexpr Time kNever = std::numeric_limits<Time>::max();

enum class OpType {
  kPut,  // key := value. Result: none.
  kGet,  // Result: the key's value, or nullopt if absent.
  kCas,  // if key == expected (nullopt: absent) then key := value. Result: whether it swapped.
};

enum class Outcome {
  kOk,       // Completed; `result` / `swapped` say what the client saw.
  kFailed,   // Definitely did not take effect (refused before being proposed).
  kUnknown,  // Timed out: may or may not have taken effect.
};

struct Operation {
  uint64_t client = 0;
  OpType type = OpType::kGet;
  std::string key;
  std::string value;                    // kPut, kCas: the new value.
  std::optional<std::string> expected;  // kCas: the value compared against.
  Time invoke_time = 0;
  Time complete_time = kNever;
  Outcome outcome = Outcome::kUnknown;
  std::optional<std::string> result;  // kGet with kOk.
  bool swapped = false;               // kCas with kOk.
};

using History = std::vector<Operation>;

// "client 3 cas k1 (a -> b) [120, 450] ok swapped"
std::string describe(const Operation& op);

}  // namespace regent::sim
