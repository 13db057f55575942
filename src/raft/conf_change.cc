#include "raft/conf_change.h"

#include "common/assert.h"
#include "common/bytes.h"

namespace regent::raft {

bool ConfChange::enter_joint(bool* auto_leave) const {
  REGENT_ASSERT(transition <= ConfChangeTransition::kJointExplicit, "unknown transition {}",
                static_cast<int>(transition));
  // A lone voter change keeps old and new majorities overlapping, so kAuto applies it directly;
  // anything larger (or an explicit request) needs the joint configuration.
  const bool joint =
      !changes.empty() && (transition != ConfChangeTransition::kAuto || changes.size() > 1);
  if (auto_leave != nullptr) {
    *auto_leave = joint && transition != ConfChangeTransition::kJointExplicit;
  }
  return joint;
}

// Encoding, version 1 (all integers unsigned):
//   version:u8 transition:u8 count:varint
//   count x (type:u8 node_id:u64 little-endian)
//   context_length:varint context:bytes
// Varints are LEB128 and must be minimal, so every ConfChange has exactly one encoding.
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kChangeBytes = 1 + 8;

std::optional<ConfChangeTransition> to_transition(uint8_t b) {
  if (b > static_cast<uint8_t>(ConfChangeTransition::kJointExplicit)) return std::nullopt;
  return static_cast<ConfChangeTransition>(b);
}

std::optional<ConfChangeType> to_type(uint8_t b) {
  if (b > static_cast<uint8_t>(ConfChangeType::kAddLearnerNode)) return std::nullopt;
  return static_cast<ConfChangeType>(b);
}

std::optional<ConfChangeSingle> read_change(ByteReader& r) {
  std::optional<uint8_t> type_byte = r.byte();
  if (!type_byte) return std::nullopt;
  std::optional<ConfChangeType> type = to_type(*type_byte);
  std::optional<uint64_t> node_id = r.fixed64();
  if (!type || !node_id) return std::nullopt;
  return ConfChangeSingle{*type, *node_id};
}

}  // namespace

std::string encode_conf_change(const ConfChange& cc) {
  std::string out;
  out.reserve(3 + cc.changes.size() * kChangeBytes + kMaxVarintBytes + cc.context.size());
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(cc.transition));
  put_varint(out, cc.changes.size());
  for (const ConfChangeSingle& c : cc.changes) {
    out.push_back(static_cast<char>(c.type));
    put_fixed64(out, c.node_id);
  }
  put_varint(out, cc.context.size());
  out.append(cc.context);
  return out;
}

std::optional<ConfChange> decode_conf_change(std::string_view bytes) {
  ByteReader r(bytes);
  std::optional<uint8_t> version = r.byte();
  if (!version || *version != kVersion) return std::nullopt;
  std::optional<uint8_t> transition_byte = r.byte();
  if (!transition_byte) return std::nullopt;
  std::optional<ConfChangeTransition> transition = to_transition(*transition_byte);
  std::optional<uint64_t> count = r.varint();
  // Check the count against the bytes left before reserving anything for it.
  if (!transition || !count || *count > r.remaining() / kChangeBytes) return std::nullopt;
  ConfChange cc;
  cc.transition = *transition;
  cc.changes.reserve(*count);
  for (uint64_t i = 0; i < *count; ++i) {
    std::optional<ConfChangeSingle> change = read_change(r);
    if (!change) return std::nullopt;
    cc.changes.push_back(*change);
  }
  std::optional<uint64_t> context_size = r.varint();
  if (!context_size) return std::nullopt;
  std::optional<std::string_view> context = r.bytes(*context_size);
  if (!context || r.remaining() != 0) return std::nullopt;
  cc.context = std::string(*context);
  return cc;
}

}  // namespace regent::raft
