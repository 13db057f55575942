// The simulator's replicated state machine: a string map with put and compare-and-swap, applied
// from committed log entries. Deterministic: the same entries give the same map on every member.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sim/history.h"

namespace regent::sim {

struct Command {
  uint64_t request_id = 0;  // Unique per client request; answers the waiting client.
  OpType type = OpType::kPut;
  std::string key;
  std::string value;
  std::optional<std::string> expected;  // kCas only.
  size_t padding = 0;  // Filler bytes carried and ignored: they only make the entry bigger.
};

std::string encode_command(const Command& c);
// nullopt for anything that is not a command (the leader's no-op is empty).
std::optional<Command> decode_command(std::string_view bytes);

class KvMachine {
 public:
  // Applies a write; returns whether a cas swapped (true for a put).
  bool apply(const Command& c);
  std::optional<std::string> get(const std::string& key) const;
  void clear() { map_.clear(); }
  // The whole map as a snapshot's data, and back; restore() of "" (the bootstrap snapshot)
  // empties the map. A malformed image returns false and leaves the map as it was.
  std::string image() const;
  bool restore(std::string_view image);

 private:
  std::map<std::string, std::string> map_;
};

}  // namespace regent::sim
