// raft::Message to and from its wire form, regentpb::Message (proto/regentpb/peer.proto).
//
// The decoder never trusts the peer: whatever a member sends, it yields either a message the
// consensus core can take as is, or an error naming what was wrong. The core assumes indexes and
// terms below raft::kMaxIndex and known enum values; nothing else may reach it.
#pragma once

#include <cstdint>
#include <string>

#include "common/expected.h"
#include "raft/message.h"
#include "regentpb/peer.pb.h"

namespace regent::transport {

// Replaces *out with `message`. Takes the message by value so that entry payloads and snapshot
// data are moved, not copied, into the wire form.
void encode_message(raft::Message message, regentpb::Message* out);

// At least the bytes `message` takes as an element of a repeated field of the wire form, cheap
// to compute without encoding: what the sender counts against max_batch_bytes.
uint64_t encoded_size_bound(const raft::Message& message);

// Fails on an unknown message or entry type, an index, term, commit or hint beyond
// raft::kMaxIndex, a node id 0 as sender, recipient or configuration member. Moves the payloads
// out of `message`.
Expected<raft::Message, std::string> decode_message(regentpb::Message message);

}  // namespace regent::transport
