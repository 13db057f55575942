#include "transport/peer_receiver.h"

#include <fmt/format.h>

#include <utility>

#include "transport/message_codec.h"
#include "transport/snapshot_assembler.h"

namespace regent::transport {

struct PeerReceiver::StreamState {
  raft::NodeId from = raft::kNone;
  Sender* sender = nullptr;
  uint64_t id = 0;
  SnapshotAssembler snapshot;
  uint64_t malformed = 0;
  uint64_t membership = 0;  // PeerReceiver::membership_ when is_removed was last asked.
};

PeerReceiver::PeerReceiver(uint64_t cluster_id, raft::NodeId self, Handler& handler, Logger& logger,
                           std::function<bool(raft::NodeId)> is_removed)
    : cluster_id_(cluster_id),
      is_removed_(std::move(is_removed)),
      self_(self),
      handler_(handler),
      logger_(logger) {}

void PeerReceiver::close() {
  std::unique_lock lock(mu_);
  closed_ = true;
  idle_.wait(lock, [this] { return delivering_ == 0; });
}

std::optional<std::string> PeerReceiver::refusal(const regentpb::PeerBatch& batch) const {
  if (batch.cluster_id() != cluster_id_) {
    return fmt::format("cluster id mismatch: this member is in cluster {:x}, the peer in {:x}",
                       cluster_id_, batch.cluster_id());
  }
  if (batch.to() != self_) {
    return fmt::format("wrong recipient: this member is {:x}, the peer addressed {:x}", self_,
                       batch.to());
  }
  if (batch.from() == raft::kNone || batch.from() == self_) {
    return fmt::format("invalid sender {:x} (this member is {:x})", batch.from(), self_);
  }
  return std::nullopt;
}

void PeerReceiver::log_refusal(raft::NodeId from, const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = refusals_logged_.try_emplace(from, reason);
    if (!inserted && it->second == reason) return;
    it->second = reason;
  }
  logger_.warn("transport: refused a stream from {:x}: {}", from, reason);
}

grpc::Status PeerReceiver::Stream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<regentpb::PeerAck, regentpb::PeerBatch>* stream) {
  regentpb::PeerBatch batch;
  if (!stream->Read(&batch)) return grpc::Status::OK;  // The sender went away first.
  if (std::optional<std::string> reason = refusal(batch)) {
    log_refusal(batch.from(), *reason);
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, *reason);
  }
  StreamState state{.from = batch.from(),
                    .membership = membership_.load(std::memory_order_acquire)};
  if (is_removed_ && is_removed_(batch.from())) {
    log_refusal(batch.from(), "it was removed from the cluster");
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, kRemovedMessage);
  }
  const uint64_t cluster_id = batch.cluster_id();
  const raft::NodeId from = batch.from();
  const raft::NodeId to = batch.to();
  {
    std::lock_guard lock(mu_);
    refusals_logged_.erase(from);
    std::unique_ptr<Sender>& sender = senders_[from];
    if (!sender) sender = std::make_unique<Sender>();
    state.sender = sender.get();
    state.id = ++streams_accepted_;
    sender->current_stream = state.id;
  }
  if (!stream->Write(regentpb::PeerAck())) return grpc::Status::OK;
  logger_.debug("transport: accepted a stream from peer {:x} ({})", from, context->peer());

  do {
    if (batch.cluster_id() != cluster_id || batch.from() != from || batch.to() != to) {
      const std::string reason = fmt::format(
          "the stream's header changed from cluster {:x}, {:x} -> {:x} to cluster {:x}, "
          "{:x} -> {:x}",
          cluster_id, from, to, batch.cluster_id(), batch.from(), batch.to());
      logger_.warn("transport: ended a stream from peer {:x}: {}", from, reason);
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, reason);
    }
    if (is_removed_ && state.membership != membership_.load(std::memory_order_acquire)) {
      state.membership = membership_.load(std::memory_order_acquire);
      if (is_removed_(from)) {
        logger_.warn("transport: ended the stream from peer {:x}: it was removed from the cluster",
                     from);
        return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, kRemovedMessage);
      }
    }
    handle(state, std::move(batch));
    batch.Clear();
  } while (stream->Read(&batch));

  if (state.snapshot.in_progress()) {
    logger_.info("transport: the stream from peer {:x} ended part way through a snapshot", from);
  }
  if (state.malformed > 1) {
    logger_.warn("transport: dropped {} malformed messages from peer {:x} on one stream",
                 state.malformed, from);
  }
  logger_.debug("transport: the stream from peer {:x} ended", from);
  return grpc::Status::OK;
}

void PeerReceiver::handle(StreamState& state, regentpb::PeerBatch batch) {
  switch (batch.body_case()) {
    case regentpb::PeerBatch::kMessages: {
      if (state.snapshot.in_progress()) {
        state.snapshot.reset();
        drop_malformed(state, "messages in the middle of a snapshot; the snapshot is dropped");
      }
      auto& wire = *batch.mutable_messages()->mutable_messages();
      std::vector<raft::Message> messages;
      messages.reserve(static_cast<size_t>(wire.size()));
      for (regentpb::Message& one : wire) {
        auto decoded = decode_message(std::move(one));
        if (!decoded) {
          drop_malformed(state, decoded.error());
        } else if (auto error = misaddressed(*decoded, state.from)) {
          drop_malformed(state, *error);
        } else {
          messages.push_back(std::move(decoded).value());
        }
      }
      if (!messages.empty()) deliver(state, std::move(messages));
      return;
    }
    case regentpb::PeerBatch::kSnapshotChunk: {
      regentpb::SnapshotChunk& chunk = *batch.mutable_snapshot_chunk();
      if (chunk.has_message() && state.snapshot.in_progress()) {
        drop_malformed(state, "a snapshot began before the last one ended; the last is dropped");
      }
      auto added = state.snapshot.add(std::move(chunk));
      if (!added) {
        drop_malformed(state, added.error());
        return;
      }
      std::optional<raft::Message> whole = std::move(added).value();
      if (!whole) return;  // More chunks are due.
      if (auto error = misaddressed(*whole, state.from)) {
        drop_malformed(state, *error);
        return;
      }
      logger_.info("transport: received the snapshot at index {} ({} bytes) from peer {:x}",
                   whole->snapshot.metadata.index, whole->snapshot.data.size(), state.from);
      std::vector<raft::Message> messages;
      messages.push_back(std::move(*whole));
      deliver(state, std::move(messages));
      return;
    }
    case regentpb::PeerBatch::BODY_NOT_SET:
      return;  // The hello.
  }
}

std::optional<std::string> PeerReceiver::misaddressed(const raft::Message& message,
                                                      raft::NodeId from) const {
  if (message.from == from && message.to == self_) return std::nullopt;
  return fmt::format("a {} message from {:x} to {:x} on the stream from {:x} to {:x}",
                     raft::to_string(message.type), message.from, message.to, from, self_);
}

void PeerReceiver::drop_malformed(StreamState& state, std::string_view error) {
  // A peer that sends one malformed message likely sends many: the first is logged, the rest
  // counted and summed up when the stream ends.
  if (++state.malformed == 1) {
    logger_.warn("transport: dropped a malformed message from peer {:x}: {}", state.from, error);
  }
}

void PeerReceiver::deliver(const StreamState& state, std::vector<raft::Message> messages) {
  std::lock_guard turn(state.sender->delivery);
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    if (state.sender->current_stream != state.id) {
      logger_.debug("transport: dropped {} messages from peer {:x}'s superseded stream",
                    messages.size(), state.from);
      return;
    }
    ++delivering_;
  }
  handler_.on_messages(std::move(messages));
  // Notified under the lock: once close() sees zero, this object may be destroyed.
  std::lock_guard lock(mu_);
  --delivering_;
  idle_.notify_all();
}

}  // namespace regent::transport
