#include "transport/peer_stream.h"

#include <chrono>
#include <utility>

namespace regent::transport {
namespace {

// How long close() lets a stream that ended by itself deliver the peer's status before it
// cancels: the status arrives with the end of the stream, so this is only a safety net.
constexpr std::chrono::seconds kStatusWait{1};

}  // namespace

void PeerStream::start(regentpb::Peer::Stub& stub, regentpb::PeerBatch hello) {
  // The sender starts writes from its own thread, outside any reaction: without a hold, OnDone
  // could run (and the call be freed) between a failure and the sender's next StartWrite.
  stub.async()->Stream(&context_, this);  // Binds this reactor: operations may follow.
  AddHold();
  batch_ = std::move(hello);
  writing_ = true;  // No reaction can run before StartCall, so no lock is needed yet.
  StartWrite(&batch_);
  StartRead(&ack_);
  StartCall();
}

void PeerStream::write(regentpb::PeerBatch batch) {
  {
    std::lock_guard lock(mu_);
    writing_ = true;
  }
  // OnWriteDone of the previous write has returned, so gRPC no longer reads batch_.
  batch_ = std::move(batch);
  StartWrite(&batch_);
}

void PeerStream::OnReadDone(bool ok) {
  {
    std::lock_guard lock(mu_);
    if (ok) {
      accepted_ = true;
    } else {
      ended_ = true;
    }
  }
  cv_.notify_all();
  // The receiver writes one PeerAck only; the next read completes when the stream ends, which
  // tells the sender at once rather than at its next write.
  if (ok) StartRead(&ack_);
}

void PeerStream::OnWriteDone(bool ok) {
  {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) ended_ = true;
  }
  cv_.notify_all();
}

void PeerStream::OnDone(const grpc::Status& status) {
  // Notified under the lock: once the sender sees done_ it may destroy this object, so nothing
  // of it may be touched after the unlock.
  std::lock_guard lock(mu_);
  done_ = true;
  ended_ = true;
  writing_ = false;
  status_ = status;
  cv_.notify_all();
}

grpc::Status PeerStream::close(bool cancel_first) {
  if (cancel_first) context_.TryCancel();
  RemoveHold();
  std::unique_lock lock(mu_);
  if (!cancel_first && !cv_.wait_for(lock, kStatusWait, [this] { return done_; })) {
    lock.unlock();
    context_.TryCancel();
    lock.lock();
  }
  cv_.wait(lock, [this] { return done_; });
  return status_;
}

}  // namespace regent::transport
