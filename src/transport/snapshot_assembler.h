// Puts a kSnapshot message back together from the SnapshotChunks of one stream.
//
// The sender writes a snapshot's chunks back to back: the first carries the message and the total
// size, every chunk its offset. The assembler accepts exactly that and nothing else, so a message
// it hands out holds every byte of the snapshot once, in order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/expected.h"
#include "raft/message.h"
#include "regentpb/peer.pb.h"

namespace regent::transport {

class SnapshotAssembler {
 public:
  // The whole message once the last byte arrived; nothing while more is due. An error (a chunk
  // out of place, sizes that do not add up, a malformed message) discards the partial snapshot.
  // A first chunk replaces any partial snapshot: the caller checks in_progress() to report it.
  Expected<std::optional<raft::Message>, std::string> add(regentpb::SnapshotChunk chunk);

  bool in_progress() const { return message_.has_value(); }
  void reset();

 private:
  std::optional<raft::Message> message_;
  uint64_t total_size_ = 0;
  std::string data_;
};

}  // namespace regent::transport
