#include "transport/message_codec.h"

#include <fmt/format.h>

#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "common/assert.h"

namespace regent::transport {
namespace {

regentpb::MessageType to_wire(raft::MessageType type) {
  switch (type) {
    case raft::MessageType::kPropose:
      return regentpb::MESSAGE_TYPE_PROPOSE;
    case raft::MessageType::kAppend:
      return regentpb::MESSAGE_TYPE_APPEND;
    case raft::MessageType::kAppendResponse:
      return regentpb::MESSAGE_TYPE_APPEND_RESPONSE;
    case raft::MessageType::kVote:
      return regentpb::MESSAGE_TYPE_VOTE;
    case raft::MessageType::kVoteResponse:
      return regentpb::MESSAGE_TYPE_VOTE_RESPONSE;
    case raft::MessageType::kPreVote:
      return regentpb::MESSAGE_TYPE_PRE_VOTE;
    case raft::MessageType::kPreVoteResponse:
      return regentpb::MESSAGE_TYPE_PRE_VOTE_RESPONSE;
    case raft::MessageType::kSnapshot:
      return regentpb::MESSAGE_TYPE_SNAPSHOT;
    case raft::MessageType::kHeartbeat:
      return regentpb::MESSAGE_TYPE_HEARTBEAT;
    case raft::MessageType::kHeartbeatResponse:
      return regentpb::MESSAGE_TYPE_HEARTBEAT_RESPONSE;
    case raft::MessageType::kTimeoutNow:
      return regentpb::MESSAGE_TYPE_TIMEOUT_NOW;
    case raft::MessageType::kReadIndex:
      return regentpb::MESSAGE_TYPE_READ_INDEX;
    case raft::MessageType::kReadIndexResponse:
      return regentpb::MESSAGE_TYPE_READ_INDEX_RESPONSE;
  }
  REGENT_PANIC("unknown raft::MessageType");
}

// Proto3 enums are open: the wire may carry any int32, so this switches on the number.
std::optional<raft::MessageType> from_wire(int type) {
  switch (type) {
    case regentpb::MESSAGE_TYPE_PROPOSE:
      return raft::MessageType::kPropose;
    case regentpb::MESSAGE_TYPE_APPEND:
      return raft::MessageType::kAppend;
    case regentpb::MESSAGE_TYPE_APPEND_RESPONSE:
      return raft::MessageType::kAppendResponse;
    case regentpb::MESSAGE_TYPE_VOTE:
      return raft::MessageType::kVote;
    case regentpb::MESSAGE_TYPE_VOTE_RESPONSE:
      return raft::MessageType::kVoteResponse;
    case regentpb::MESSAGE_TYPE_PRE_VOTE:
      return raft::MessageType::kPreVote;
    case regentpb::MESSAGE_TYPE_PRE_VOTE_RESPONSE:
      return raft::MessageType::kPreVoteResponse;
    case regentpb::MESSAGE_TYPE_SNAPSHOT:
      return raft::MessageType::kSnapshot;
    case regentpb::MESSAGE_TYPE_HEARTBEAT:
      return raft::MessageType::kHeartbeat;
    case regentpb::MESSAGE_TYPE_HEARTBEAT_RESPONSE:
      return raft::MessageType::kHeartbeatResponse;
    case regentpb::MESSAGE_TYPE_TIMEOUT_NOW:
      return raft::MessageType::kTimeoutNow;
    case regentpb::MESSAGE_TYPE_READ_INDEX:
      return raft::MessageType::kReadIndex;
    case regentpb::MESSAGE_TYPE_READ_INDEX_RESPONSE:
      return raft::MessageType::kReadIndexResponse;
    default:
      return std::nullopt;
  }
}

regentpb::EntryType entry_type_to_wire(raft::EntryType type) {
  switch (type) {
    case raft::EntryType::kNormal:
      return regentpb::ENTRY_TYPE_NORMAL;
    case raft::EntryType::kConfChange:
      return regentpb::ENTRY_TYPE_CONF_CHANGE;
  }
  REGENT_PANIC("unknown raft::EntryType");
}

std::optional<raft::EntryType> entry_type_from_wire(int type) {
  switch (type) {
    case regentpb::ENTRY_TYPE_NORMAL:
      return raft::EntryType::kNormal;
    case regentpb::ENTRY_TYPE_CONF_CHANGE:
      return raft::EntryType::kConfChange;
    default:
      return std::nullopt;
  }
}

void encode_ids(const std::set<raft::NodeId>& ids, google::protobuf::RepeatedField<uint64_t>* out) {
  out->Reserve(static_cast<int>(ids.size()));
  for (raft::NodeId id : ids) out->Add(id);
}

// The error for the first of `ids` that is kNone, or nothing.
std::optional<std::string> decode_ids(const google::protobuf::RepeatedField<uint64_t>& ids,
                                      std::string_view what, std::set<raft::NodeId>* out) {
  for (uint64_t id : ids) {
    if (id == raft::kNone) return fmt::format("conf_state.{} names node 0", what);
    out->insert(id);
  }
  return std::nullopt;
}

// The error if `value` (an index or a term) is beyond what the core accepts, or nothing.
std::optional<std::string> check_bound(std::string_view what, uint64_t value) {
  if (value <= raft::kMaxIndex) return std::nullopt;
  return fmt::format("{} {} is beyond the largest index {}", what, value, raft::kMaxIndex);
}

// Bounds for the wire's varints and field keys.
constexpr uint64_t kVarint = 10;
constexpr uint64_t kKey = 2;
constexpr uint64_t kScalar = kKey + kVarint;
constexpr uint64_t kLengthPrefix = kKey + kVarint;

}  // namespace

uint64_t encoded_size_bound(const raft::Message& message) {
  uint64_t size = kLengthPrefix + 9 * kScalar;  // The element's prefix and the scalar fields.
  for (const raft::Entry& entry : message.entries) {
    size += kLengthPrefix + 3 * kScalar + kLengthPrefix + entry.data.size();
  }
  size += kLengthPrefix + message.context.size();
  const raft::Snapshot& snapshot = message.snapshot;
  const raft::ConfState& conf = snapshot.metadata.conf_state;
  const uint64_t ids = conf.voters.size() + conf.learners.size() + conf.voters_outgoing.size() +
                       conf.learners_next.size();
  // snapshot, its data, metadata with two scalars, conf_state with four lists and a bool.
  size += 3 * kLengthPrefix + snapshot.data.size() + 2 * kScalar + kLengthPrefix +
          4 * kLengthPrefix + ids * kVarint + kScalar;
  return size;
}

void encode_message(raft::Message message, regentpb::Message* out) {
  out->Clear();
  out->set_type(to_wire(message.type));
  out->set_to(message.to);
  out->set_from(message.from);
  out->set_term(message.term);
  out->set_log_term(message.log_term);
  out->set_index(message.index);
  out->mutable_entries()->Reserve(static_cast<int>(message.entries.size()));
  for (raft::Entry& entry : message.entries) {
    regentpb::Entry* wire = out->add_entries();
    wire->set_term(entry.term);
    wire->set_index(entry.index);
    wire->set_type(entry_type_to_wire(entry.type));
    wire->set_data(std::move(entry.data));
  }
  out->set_commit(message.commit);
  // An absent snapshot costs nothing on the wire; an empty one decodes the same either way.
  if (message.snapshot != raft::Snapshot{}) {
    raft::Snapshot& snapshot = message.snapshot;
    regentpb::Snapshot* wire = out->mutable_snapshot();
    wire->set_data(std::move(snapshot.data));
    regentpb::SnapshotMetadata* metadata = wire->mutable_metadata();
    metadata->set_index(snapshot.metadata.index);
    metadata->set_term(snapshot.metadata.term);
    const raft::ConfState& conf = snapshot.metadata.conf_state;
    regentpb::ConfState* wire_conf = metadata->mutable_conf_state();
    encode_ids(conf.voters, wire_conf->mutable_voters());
    encode_ids(conf.learners, wire_conf->mutable_learners());
    encode_ids(conf.voters_outgoing, wire_conf->mutable_voters_outgoing());
    encode_ids(conf.learners_next, wire_conf->mutable_learners_next());
    wire_conf->set_auto_leave(conf.auto_leave);
  }
  out->set_reject(message.reject);
  out->set_reject_hint(message.reject_hint);
  out->set_context(std::move(message.context));
}

Expected<raft::Message, std::string> decode_message(regentpb::Message message) {
  raft::Message out;
  std::optional<raft::MessageType> type = from_wire(message.type());
  if (!type) return unexpected(fmt::format("unknown message type {}", message.type()));
  out.type = *type;
  if (message.to() == raft::kNone || message.from() == raft::kNone) {
    return unexpected(fmt::format("{} from {} to {}: node 0 is nobody", raft::to_string(out.type),
                                  message.from(), message.to()));
  }
  out.to = message.to();
  out.from = message.from();
  for (auto [what, value] :
       {std::pair{"term", message.term()}, std::pair{"log_term", message.log_term()},
        std::pair{"index", message.index()}, std::pair{"commit", message.commit()},
        std::pair{"reject_hint", message.reject_hint()}}) {
    if (auto error = check_bound(what, value)) return unexpected(std::move(*error));
  }
  out.term = message.term();
  out.log_term = message.log_term();
  out.index = message.index();
  out.commit = message.commit();
  out.reject = message.reject();
  out.reject_hint = message.reject_hint();

  out.entries.reserve(static_cast<size_t>(message.entries_size()));
  for (regentpb::Entry& wire : *message.mutable_entries()) {
    if (auto error = check_bound("entry term", wire.term())) return unexpected(std::move(*error));
    if (auto error = check_bound("entry index", wire.index())) {
      return unexpected(std::move(*error));
    }
    std::optional<raft::EntryType> entry_type = entry_type_from_wire(wire.type());
    if (!entry_type) return unexpected(fmt::format("unknown entry type {}", wire.type()));
    out.entries.push_back(raft::Entry{.term = wire.term(),
                                      .index = wire.index(),
                                      .type = *entry_type,
                                      .data = std::move(*wire.mutable_data())});
  }

  if (message.has_snapshot()) {
    regentpb::Snapshot& wire = *message.mutable_snapshot();
    const regentpb::SnapshotMetadata& metadata = wire.metadata();
    if (auto error = check_bound("snapshot index", metadata.index())) {
      return unexpected(std::move(*error));
    }
    if (auto error = check_bound("snapshot term", metadata.term())) {
      return unexpected(std::move(*error));
    }
    out.snapshot.metadata.index = metadata.index();
    out.snapshot.metadata.term = metadata.term();
    const regentpb::ConfState& wire_conf = metadata.conf_state();
    raft::ConfState& conf = out.snapshot.metadata.conf_state;
    for (auto [what, ids, set] :
         {std::tuple{"voters", &wire_conf.voters(), &conf.voters},
          std::tuple{"learners", &wire_conf.learners(), &conf.learners},
          std::tuple{"voters_outgoing", &wire_conf.voters_outgoing(), &conf.voters_outgoing},
          std::tuple{"learners_next", &wire_conf.learners_next(), &conf.learners_next}}) {
      if (auto error = decode_ids(*ids, what, set)) return unexpected(std::move(*error));
    }
    conf.auto_leave = wire_conf.auto_leave();
    out.snapshot.data = std::move(*wire.mutable_data());
  }
  out.context = std::move(*message.mutable_context());
  return out;
}

}  // namespace regent::transport
