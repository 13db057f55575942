#include "transport/snapshot_assembler.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "transport/message_codec.h"

namespace regent::transport {
namespace {

// The size a peer announces is not trusted with an allocation: beyond this, the buffer grows
// with the bytes that actually arrive.
constexpr uint64_t kMaxReserveBytes = uint64_t{64} << 20;

}  // namespace

void SnapshotAssembler::reset() {
  message_.reset();
  total_size_ = 0;
  data_ = std::string();  // Frees the buffer, which may be tens of MB.
}

Expected<std::optional<raft::Message>, std::string> SnapshotAssembler::add(
    regentpb::SnapshotChunk chunk) {
  using Result = Expected<std::optional<raft::Message>, std::string>;
  auto fail = [this](std::string error) -> Result {
    reset();
    return unexpected(std::move(error));
  };
  if (chunk.has_message()) {
    reset();
    auto decoded = decode_message(std::move(*chunk.mutable_message()));
    if (!decoded) return fail(fmt::format("snapshot chunk: {}", decoded.error()));
    if (decoded->type != raft::MessageType::kSnapshot) {
      return fail(
          fmt::format("snapshot chunk carries a {} message", raft::to_string(decoded->type)));
    }
    if (!decoded->snapshot.data.empty()) {
      return fail("snapshot chunk's message carries data of its own");
    }
    message_ = std::move(decoded).value();
    total_size_ = chunk.total_size();
    data_.reserve(static_cast<size_t>(std::min(total_size_, kMaxReserveBytes)));
  } else if (!message_) {
    return fail("snapshot chunk without a snapshot in progress");
  } else if (chunk.total_size() != 0) {
    return fail("snapshot chunk repeats the total size");
  }
  if (chunk.offset() != data_.size()) {
    return fail(
        fmt::format("snapshot chunk at offset {}, expected {}", chunk.offset(), data_.size()));
  }
  if (chunk.data().size() > total_size_ - data_.size()) {
    return fail(fmt::format("snapshot chunk of {} bytes at offset {} overruns the {} announced",
                            chunk.data().size(), chunk.offset(), total_size_));
  }
  data_.append(chunk.data());
  if (data_.size() < total_size_) return Result(std::nullopt);
  raft::Message whole = std::move(*message_);
  whole.snapshot.data = std::move(data_);
  reset();
  return Result(std::optional<raft::Message>(std::move(whole)));
}

}  // namespace regent::transport
