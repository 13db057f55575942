#include "sim/history.h"

#include <fmt/format.h>

#include <optional>
#include <string>

namespace regent::sim {
namespace {

// An empty string would vanish from the line; quote it so "put k := " is not misread.
std::string show(const std::string& text) { return text.empty() ? "\"\"" : text; }

std::string show(const std::optional<std::string>& value) {
  return value ? show(*value) : "<absent>";
}

std::string show_time(Time time) { return time == kNever ? "?" : fmt::format("{}", time); }

std::string describe_action(const Operation& op) {
  switch (op.type) {
    case OpType::kPut:
      return fmt::format("put {} := {}", show(op.key), show(op.value));
    case OpType::kGet:
      // Only a completed read has a result worth printing.
      if (op.outcome != Outcome::kOk) return fmt::format("get {}", show(op.key));
      return fmt::format("get {} -> {}", show(op.key), show(op.result));
    case OpType::kCas:
      return fmt::format("cas {} ({} -> {})", show(op.key), show(op.expected), show(op.value));
  }
  return "?";
}

std::string describe_outcome(const Operation& op) {
  switch (op.outcome) {
    case Outcome::kOk:
      if (op.type != OpType::kCas) return "ok";
      return op.swapped ? "ok swapped" : "ok not swapped";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "?";
}

}  // namespace

std::string describe(const Operation& op) {
  return fmt::format("client {} {} [{}, {}] {}", op.client, describe_action(op), op.invoke_time,
                     show_time(op.complete_time), describe_outcome(op));
}

}  // namespace regent::sim
