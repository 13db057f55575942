#include "server/api/watch_service.h"

#include <grpcpp/support/byte_buffer.h>

#include <memory>
#include <mutex>
#include <vector>

#include "server/api/require_leader.h"
#include "server/grpc_status.h"

namespace regent::server {

namespace {

using Bytes = grpc::ByteBuffer;

class WatchReactor;

// What the hub holds of a stream: it outlives the reactor (gRPC deletes that in OnDone), so a
// hub call racing with the end of the call finds a detached link instead of freed memory.
class Link final : public WatchSink {
 public:
  explicit Link(WatchReactor* reactor) : reactor_(reactor) {}

  void write(WireResponse response) override;
  void read_more() override;
  void finish(const grpc::Status& status) override;
  void detach() {
    std::lock_guard lock(mu_);
    reactor_ = nullptr;
  }

 private:
  // gRPC never runs a reaction inline in a Start call, so holding mu_ across one is safe.
  std::mutex mu_;
  WatchReactor* reactor_;
  bool finished_ = false;  // No Start call may follow Finish.
  Bytes in_flight_;        // Owned here until OnWriteDone (one write at a time, by the hub).
};

class WatchReactor final : public grpc::ServerBidiReactor<Bytes, Bytes> {
 public:
  WatchReactor(WatchHub& hub, bool require_leader, const AuthGate* auth,
               const grpc::CallbackServerContext* call)
      : hub_(hub), auth_(auth), call_(call), link_(std::make_shared<Link>(this)) {
    auto opened = hub_.open(link_, require_leader);
    if (!opened) {
      link_->finish(to_grpc(opened.error()));
      return;
    }
    stream_ = *opened;
    StartRead(&request_);
  }

  void read_next() { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    // Not ok: the client closed its side, or the call ended. etcd keeps sending until the call
    // ends, and so does Regent.
    if (!ok) return;
    // Parsed out first: the hub may ask for the next read (into request_) before handle returns.
    etcdserverpb::WatchRequest request;
    const grpc::Status parsed =
        grpc::SerializationTraits<etcdserverpb::WatchRequest>::Deserialize(&request_, &request);
    request_.Clear();
    if (!parsed.ok()) {
      hub_.cancel_stream(stream_);  // Ends the call once no write is in flight.
      return;
    }
    const std::string refusal = create_refusal(request);
    if (hub_.handle(stream_, request, refusal)) StartRead(&request_);
  }

  void OnWriteDone(bool ok) override { hub_.on_written(stream_, ok); }

  // Why the caller may not watch what a create request asks for (etcd checks each watcher as it
  // is created, with the stream's credentials as they stand then); empty when it may.
  std::string create_refusal(const etcdserverpb::WatchRequest& request) const {
    if (!auth_ || !request.has_create_request()) return {};
    const auto& r = request.create_request();
    const std::string key = r.key().empty() ? std::string(1, '\0') : r.key();
    auto denied = auth_->access_call(*call_, regentpb::READ, key, r.range_end());
    return denied ? denied->message : std::string();
  }

  void OnCancel() override { hub_.cancel_stream(stream_); }

  void OnDone() override {
    link_->detach();
    hub_.cancel_stream(stream_);  // Nothing left to do if the hub finished the stream itself.
    delete this;
  }

 private:
  WatchHub& hub_;
  const AuthGate* auth_;
  const grpc::CallbackServerContext* call_;  // Lives until OnDone.
  std::shared_ptr<Link> link_;
  uint64_t stream_ = 0;  // 0: refused; the hub numbers streams from 1.
  Bytes request_;
};

void Link::write(WireResponse response) {
  // Each part becomes a slice that holds a reference to it: nothing is copied.
  std::vector<grpc::Slice> slices;
  slices.reserve(response.size());
  for (WireBytes& part : response) {
    auto* held = new WireBytes(std::move(part));
    slices.emplace_back(
        const_cast<char*>((*held)->data()), (*held)->size(),
        [](void* p) { delete static_cast<WireBytes*>(p); }, held);
  }
  std::lock_guard lock(mu_);
  // The hub writes only to a live, unfinished stream; were it otherwise, the stream would just
  // stay unwritten until the call ends.
  if (reactor_ == nullptr || finished_) return;
  in_flight_ = Bytes(slices.data(), slices.size());
  reactor_->StartWrite(&in_flight_);
}

void Link::read_more() {
  std::lock_guard lock(mu_);
  if (reactor_ == nullptr || finished_) return;
  reactor_->read_next();
}

void Link::finish(const grpc::Status& status) {
  std::lock_guard lock(mu_);
  if (reactor_ == nullptr || finished_) return;
  finished_ = true;
  reactor_->Finish(status);
}

}  // namespace

grpc::ServerBidiReactor<Bytes, Bytes>* WatchService::Watch(grpc::CallbackServerContext* call) {
  return new WatchReactor(hub_, requires_leader(*call), auth_, call);
}

}  // namespace regent::server
