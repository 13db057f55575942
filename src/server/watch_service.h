// etcdserverpb.Watch over gRPC's callback API: one reactor per client stream, which hands the
// stream's requests to the watch hub (watch_hub.h) and writes what the hub queues for it. No
// thread waits for a client: a stream that stops reading stops being read and written, and its
// watchers fall back to the store's history (the hub's job).
#pragma once

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/watch_hub.h"

namespace regent::server {

class WatchService final : public etcdserverpb::Watch::CallbackService {
 public:
  explicit WatchService(WatchHub& hub) : hub_(hub) {}

  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      grpc::CallbackServerContext* call) override;

 private:
  WatchHub& hub_;
};

}  // namespace regent::server
