#include "transport/peer_sender.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <utility>

#include "transport/message_codec.h"

namespace regent::transport {
namespace {

using Clock = std::chrono::steady_clock;

// A peer that accepts TCP connections but never answers (a SIGSTOPped process) must not hold the
// sender forever; keepalive usually notices first. Generous, so a slow link is not cut off.
constexpr std::chrono::seconds kHandshakeTimeout{5};
constexpr std::chrono::seconds kWriteTimeout{10};
// A connection attempt that fails this fast was refused, not left unanswered.
constexpr std::chrono::milliseconds kRefusedWithin{500};
// What a PeerBatch adds around its messages or chunk: the header and the body's framing.
constexpr uint64_t kBatchOverheadBytes = 64;

int clamp_ms(std::chrono::milliseconds ms) {
  return static_cast<int>(std::clamp<int64_t>(ms.count(), 1, INT_MAX));
}

grpc::ChannelArguments channel_arguments(const Options& options) {
  grpc::ChannelArguments args;
  // A peer that stops answering (crashed host, SIGSTOP, a cable pulled) is noticed in about two
  // seconds even when no write is waiting on it. The listener allows pings this often.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 1000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // gRPC's own reconnection defaults (1 s growing to 120 s) would leave a restarted peer
  // unreached for minutes; this reaches it within max_backoff.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, clamp_ms(options.min_backoff));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);  // Also the least time one connect gets.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, clamp_ms(options.max_backoff));
  // Channels to the same address share connections process-wide by default; each sender owns
  // its connection, so that one transport's stop() or failure is not another's.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return args;
}

std::string describe(const grpc::Status& status) {
  return fmt::format("{} (code {})", status.error_message(), static_cast<int>(status.error_code()));
}

}  // namespace

PeerSender::PeerSender(const Options& options, PeerAddress peer, Handler& handler, Logger& logger)
    : options_(options),
      peer_(std::move(peer)),
      handler_(handler),
      logger_(logger),
      channel_(grpc::CreateCustomChannel(peer_.address,
                                         options.channel_credentials
                                             ? options.channel_credentials
                                             : grpc::InsecureChannelCredentials(),
                                         channel_arguments(options))),
      stub_(regentpb::Peer::NewStub(channel_)) {}

PeerSender::~PeerSender() {
  request_stop();
  join();
}

void PeerSender::start() {
  thread_ = std::thread([this] { run(); });
}

void PeerSender::request_stop() {
  std::shared_ptr<PeerStream> stream;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    stream = stream_;
  }
  cv_.notify_all();
  if (stream) stream->cancel();
}

void PeerSender::join() {
  if (thread_.joinable()) thread_.join();
}

void PeerSender::enqueue(raft::Message message) {
  bool first_drop = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (queue_.size() < options_.max_queued_messages) {
      queue_.push_back(std::move(message));
    } else {
      first_drop = !std::exchange(full_logged_, true);
      overflowed_ = true;
      if (message.type == raft::MessageType::kSnapshot) ++dropped_snapshots_;
    }
  }
  cv_.notify_all();
  if (first_drop) {
    logger_.warn("transport: queue to peer {:x} is full ({} messages); dropping", peer_.id,
                 options_.max_queued_messages);
  }
}

void PeerSender::report_overflow() {
  uint64_t snapshots = 0;
  {
    std::lock_guard lock(mu_);
    if (!overflowed_ || stopping_) return;
    overflowed_ = false;
    snapshots = std::exchange(dropped_snapshots_, 0);
  }
  handler_.on_unreachable(peer_.id);
  for (uint64_t i = 0; i < snapshots; ++i) handler_.on_snapshot_sent(peer_.id, false);
}

void PeerSender::run() {
  std::chrono::milliseconds backoff = options_.min_backoff;
  // Whether the stream before this attempt was established and broke.
  bool just_broke = false;
  while (true) {
    const Clock::time_point attempt_start = Clock::now();
    std::shared_ptr<PeerStream> stream = open_stream();
    if (!stream) break;
    bool was_connected = false;
    Outcome outcome = handshake(*stream);
    if (outcome == Outcome::kOk) {
      was_connected = true;
      note_connected();
      backoff = options_.min_backoff;
      outcome = pump(*stream);
    }
    grpc::Status status = stream->close(/*cancel_first=*/outcome != Outcome::kEnded);
    {
      std::lock_guard lock(mu_);
      stream_.reset();
    }
    stream.reset();
    connected_.store(false, std::memory_order_relaxed);
    if (outcome == Outcome::kStopped) break;
    if (outcome == Outcome::kTimedOut) {
      status = grpc::Status(
          grpc::StatusCode::DEADLINE_EXCEEDED,
          was_connected
              ? fmt::format("a write took over {}s", kWriteTimeout.count())
              : fmt::format("no answer to the stream within {}s", kHandshakeTimeout.count()));
    }
    note_failure(status, was_connected);
    if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
        status.error_message() == kRemovedMessage) {
      logger_.warn("transport: peer {:x} refused this member's stream: {}", peer_.id,
                   kRemovedMessage);
      handler_.on_removed_by(peer_.id);
    }
    // Refused at once right after a break: nothing listens on the peer's port. A hung or cut-off
    // peer makes the attempt time out instead (gRPC gives a connect at least a second).
    if (just_broke && !was_connected && status.error_code() == grpc::StatusCode::UNAVAILABLE &&
        Clock::now() - attempt_start < kRefusedWithin) {
      logger_.info("transport: peer {:x} refused a new connection after its stream broke: down",
                   peer_.id);
      handler_.on_peer_down(peer_.id);
    }
    just_broke = was_connected;
    bool waiting = false;
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      waiting = !queue_.empty();
    }
    // A stream that broke may have lost messages in flight; a peer we cannot reach is not
    // getting what waits for it. Either way Raft should probe the peer rather than stream to it.
    if (was_connected || waiting) handler_.on_unreachable(peer_.id);
    if (!sleep(backoff)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  connected_.store(false, std::memory_order_relaxed);
}

std::shared_ptr<PeerStream> PeerSender::open_stream() {
  auto stream = std::make_shared<PeerStream>(mu_, cv_);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return nullptr;
    stream_ = stream;
  }
  // A request_stop() from here on cancels the call, even before it starts: the context
  // remembers the cancellation.
  stream->start(*stub_, new_batch());
  return stream;
}

PeerSender::Outcome PeerSender::wait(PeerStream& stream, Clock::time_point deadline,
                                     const std::function<bool()>& ready) {
  while (true) {
    {
      std::unique_lock lock(mu_);
      const bool woke = cv_.wait_until(
          lock, deadline, [&] { return stopping_ || overflowed_ || stream.ended() || ready(); });
      if (stopping_) return Outcome::kStopped;
      if (stream.ended()) return Outcome::kEnded;
      if (ready()) return Outcome::kOk;
      if (!woke) return Outcome::kTimedOut;
    }
    report_overflow();  // Woken for that alone.
  }
}

PeerSender::Outcome PeerSender::handshake(PeerStream& stream) {
  return wait(stream, Clock::now() + kHandshakeTimeout, [&] { return stream.accepted(); });
}

PeerSender::Outcome PeerSender::pump(PeerStream& stream) {
  while (true) {
    Outcome idle =
        wait(stream, Clock::now() + std::chrono::hours(1), [&] { return !queue_.empty(); });
    if (idle == Outcome::kTimedOut) continue;
    if (idle != Outcome::kOk) return idle;
    Work work;
    {
      std::lock_guard lock(mu_);
      work = take_work();
    }
    Outcome outcome = Outcome::kOk;
    if (work.oversized) {
      // Raft resends what is dropped, so a message too large to send comes back again and
      // again: logged at the 1st, 2nd, 4th, 8th... drop.
      ++oversized_dropped_;
      if ((oversized_dropped_ & (oversized_dropped_ - 1)) == 0) {
        logger_.warn(
            "transport: dropped a {} message of over {} bytes to peer {:x}: larger than "
            "max_batch_bytes ({} such drops so far)",
            raft::to_string(work.oversized->type), encoded_size_bound(*work.oversized), peer_.id,
            oversized_dropped_);
      }
      handler_.on_unreachable(peer_.id);
    } else if (work.snapshot) {
      outcome = send_snapshot(stream, std::move(*work.snapshot));
    } else if (!work.messages.empty()) {
      outcome = send_messages(stream, std::move(work.messages));
    }
    if (outcome != Outcome::kOk) return outcome;
  }
}

PeerSender::Work PeerSender::take_work() {
  Work work;
  if (queue_.empty()) return work;
  full_logged_ = false;  // Whatever is taken makes room.
  if (queue_.front().type == raft::MessageType::kSnapshot) {
    work.snapshot = std::move(queue_.front());
    queue_.pop_front();
    return work;
  }
  const uint64_t budget = options_.max_batch_bytes > kBatchOverheadBytes
                              ? options_.max_batch_bytes - kBatchOverheadBytes
                              : 0;
  if (encoded_size_bound(queue_.front()) > budget) {
    work.oversized = std::move(queue_.front());
    queue_.pop_front();
    return work;
  }
  uint64_t used = 0;
  while (!queue_.empty() && queue_.front().type != raft::MessageType::kSnapshot) {
    const uint64_t size = encoded_size_bound(queue_.front());
    if (used + size > budget) break;
    used += size;
    work.messages.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return work;
}

regentpb::PeerBatch PeerSender::new_batch() const {
  regentpb::PeerBatch batch;
  batch.set_cluster_id(options_.cluster_id);
  batch.set_from(options_.self);
  batch.set_to(peer_.id);
  return batch;
}

PeerSender::Outcome PeerSender::send_messages(PeerStream& stream,
                                              std::vector<raft::Message> messages) {
  regentpb::PeerBatch batch = new_batch();
  regentpb::MessageList* list = batch.mutable_messages();
  list->mutable_messages()->Reserve(static_cast<int>(messages.size()));
  for (raft::Message& message : messages) encode_message(std::move(message), list->add_messages());
  return write(stream, std::move(batch));
}

PeerSender::Outcome PeerSender::send_snapshot(PeerStream& stream, raft::Message message) {
  if (message.snapshot.data.empty() && options_.read_snapshot) {
    auto image = options_.read_snapshot(message.snapshot.metadata);
    if (!image) {
      // Raft sends a newer snapshot once told this one did not arrive.
      logger_.warn("transport: cannot send the snapshot at index {} to peer {:x}: {}",
                   message.snapshot.metadata.index, peer_.id, image.error());
      handler_.on_snapshot_sent(peer_.id, false);
      return Outcome::kOk;
    }
    message.snapshot.data = std::move(*image);
  }
  const std::string data = std::move(message.snapshot.data);
  const raft::Index index = message.snapshot.metadata.index;
  const uint64_t total = data.size();
  const uint64_t chunk_bytes = std::max<uint64_t>(options_.snapshot_chunk_bytes, 1);
  uint64_t offset = 0;
  Outcome outcome = Outcome::kOk;
  do {
    regentpb::PeerBatch batch = new_batch();
    regentpb::SnapshotChunk* chunk = batch.mutable_snapshot_chunk();
    if (offset == 0) {
      encode_message(std::move(message), chunk->mutable_message());
      chunk->set_total_size(total);
    }
    const uint64_t size = std::min(chunk_bytes, total - offset);
    chunk->set_offset(offset);
    chunk->set_data(data.data() + offset, size);
    outcome = write(stream, std::move(batch));
    if (outcome != Outcome::kOk) break;
    offset += size;
  } while (offset < total);
  if (outcome == Outcome::kStopped) return outcome;
  if (outcome == Outcome::kOk) {
    logger_.info("transport: sent the snapshot at index {} ({} bytes) to peer {:x}", index, total,
                 peer_.id);
  } else {
    logger_.warn("transport: the snapshot at index {} to peer {:x} failed after {} of {} bytes",
                 index, peer_.id, offset, total);
  }
  handler_.on_snapshot_sent(peer_.id, outcome == Outcome::kOk);
  return outcome;
}

PeerSender::Outcome PeerSender::write(PeerStream& stream, regentpb::PeerBatch batch) {
  const Clock::time_point deadline = Clock::now() + kWriteTimeout;
  // The hello's write may still be finishing when the peer's acceptance arrives.
  Outcome ready = wait(stream, deadline, [&] { return !stream.writing(); });
  if (ready != Outcome::kOk) return ready;
  stream.write(std::move(batch));
  return wait(stream, deadline, [&] { return !stream.writing(); });
}

void PeerSender::note_connected() {
  connected_.store(true, std::memory_order_relaxed);
  last_failure_logged_.reset();
  logger_.info("transport: connected to peer {:x} at {}", peer_.id, peer_.address);
}

void PeerSender::note_failure(const grpc::Status& status, bool was_connected) {
  // One line per change of state: a peer that stays down for an hour logs once, not per retry.
  if (was_connected) {
    last_failure_logged_ = status.error_code();
    logger_.info("transport: lost the stream to peer {:x} at {}: {}", peer_.id, peer_.address,
                 describe(status));
    return;
  }
  if (last_failure_logged_ == status.error_code()) return;
  last_failure_logged_ = status.error_code();
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    logger_.warn("transport: peer {:x} at {} refused the stream: {}", peer_.id, peer_.address,
                 describe(status));
  } else {
    logger_.info("transport: cannot reach peer {:x} at {}: {}", peer_.id, peer_.address,
                 describe(status));
  }
}

bool PeerSender::sleep(std::chrono::milliseconds delay) {
  const Clock::time_point deadline = Clock::now() + delay;
  while (true) {
    {
      std::unique_lock lock(mu_);
      const bool woke = cv_.wait_until(lock, deadline, [this] { return stopping_ || overflowed_; });
      if (stopping_) return false;
      if (!woke) return true;
    }
    report_overflow();
  }
}

}  // namespace regent::transport
