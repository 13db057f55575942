// One Stream call to a peer (proto/regentpb/peer.proto), driven by that peer's sender thread.
//
// gRPC's callback API rather than the blocking one: a blocking write to a peer that stopped
// reading (a SIGSTOPped process) waits for HTTP/2 flow control with no way to time out, while
// here the sender waits on its own condition variable, with its own deadline, and can cancel.
//
// Every event is recorded under the sender's mutex and announced on the sender's condition
// variable, so that the sender waits for "a write finished, the stream ended, or I was asked to
// stop" with one wait. Both must outlive the call: close() returns only after gRPC's last
// reaction (OnDone), and only then may the stream be destroyed.
#pragma once

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>

#include "regentpb/peer.grpc.pb.h"

namespace regent::transport {

class PeerStream final : public grpc::ClientBidiReactor<regentpb::PeerBatch, regentpb::PeerAck> {
 public:
  PeerStream(std::mutex& mu, std::condition_variable& cv) : mu_(mu), cv_(cv) {}
  PeerStream(const PeerStream&) = delete;
  PeerStream& operator=(const PeerStream&) = delete;

  // Starts the call with `hello` as its first write. Called once, without the mutex.
  void start(regentpb::Peer::Stub& stub, regentpb::PeerBatch hello);
  // Writes `batch`. Only when writable(); without the mutex.
  void write(regentpb::PeerBatch batch);
  // Fails every pending operation of the call soon. Thread-safe, any number of times, also
  // after the call ended.
  void cancel() { context_.TryCancel(); }
  // Ends the call: cancels it first if asked to (else gives the peer's status a moment to
  // arrive, which tells why the stream ended), then waits for OnDone. Once; without the mutex.
  grpc::Status close(bool cancel_first);

  // With the mutex held:
  // The receiver accepted the stream (its PeerAck arrived).
  bool accepted() const { return accepted_; }
  // The stream is over: a read or write failed. Nothing sent from now on arrives.
  bool ended() const { return ended_; }
  // No write is in progress (the last one, if any, succeeded unless ended()).
  bool writable() const { return !writing_ && !ended_; }
  bool writing() const { return writing_; }

 private:
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  std::mutex& mu_;
  std::condition_variable& cv_;
  grpc::ClientContext context_;
  regentpb::PeerAck ack_;      // gRPC reads into it; only the fact that one arrived matters.
  regentpb::PeerBatch batch_;  // The write in progress; gRPC reads it until OnWriteDone.

  // Guarded by mu_.
  bool accepted_ = false;
  bool ended_ = false;
  bool writing_ = false;
  bool done_ = false;
  grpc::Status status_;
};

}  // namespace regent::transport
