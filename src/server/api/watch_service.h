// etcdserverpb.Watch over gRPC's callback API: one reactor per client stream, which hands the
// stream's requests to the watch hub (watch_hub.h) and writes what the hub queues for it. No
// thread waits for a client: a stream that stops reading stops being read and written, and its
// watchers fall back to the store's history (the hub's job).
#pragma once

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/auth/auth_gate.h"
#include "server/watch/watch_hub.h"

namespace regent::server {

// The method is served raw (bytes both ways): the hub hands over responses already serialized,
// their bodies shared between the watchers of a key (WireResponse), and requests are parsed here.
class WatchService final
    : public etcdserverpb::Watch::WithRawCallbackMethod_Watch<etcdserverpb::Watch::Service> {
 public:
  // `auth` (null: no checks) decides whether each watcher's caller may read its range.
  WatchService(WatchHub& hub, const AuthGate* auth) : hub_(hub), auth_(auth) {}

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Watch(
      grpc::CallbackServerContext* call) override;

 private:
  WatchHub& hub_;
  const AuthGate* auth_;
};

}  // namespace regent::server
