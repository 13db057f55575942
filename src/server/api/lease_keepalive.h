// One LeaseKeepAlive stream: every request read is answered by one response, in order (the
// next request is read once the last answer is written). The leader renews through its lessor;
// a follower forwards each request to the leader (lease_forwarder.h). An unknown or expired
// lease is answered with TTL 0, as etcd answers it; a failure to reach the leader ends the
// stream with that failure, and the client opens another.
//
// A stream whose metadata asks for a leader (hasleader: true, as Go clients' keep-alive streams
// do) is refused with "no leader" when this member has none, and ended with it when this member
// loses its leader, so the client moves to a member that has one. Every stream is ended with
// "server stopped" when the member stops (Lessor::end_streams).
//
// Invariants: Finish is called exactly once, never while a request is being answered (so no
// reaction or forwarded answer can arrive after OnDone); the object deletes itself in OnDone.
#pragma once

#include <grpcpp/grpcpp.h>

#include <mutex>
#include <optional>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/service_context.h"
#include "server/lease/lease_forwarder.h"
#include "server/lease/lessor.h"

namespace regent::server {

class KeepAliveStream final : public grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                                                             etcdserverpb::LeaseKeepAliveResponse> {
 public:
  KeepAliveStream(grpc::CallbackServerContext* call, const ServiceContext& context, Lessor& lessor,
                  LeaseForwarder& forwarder);

 private:
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

  // Renews (or forwards) the lease of the request just read; without mu_ (a forwarded answer
  // may come back on this thread). An unknown lease is looked up again after a read barrier
  // (after_barrier) before the answer says so.
  void renew(int64_t id, bool after_barrier = false);
  void answer(int64_t id, Expected<int64_t, Failure> ttl);
  // With mu_: ends the stream with `status` (the first one asked for) once no request is being
  // answered.
  void finish_when_idle(const grpc::Status& status);

  const ServiceContext& ctx_;
  Lessor& lessor_;
  LeaseForwarder& forwarder_;
  const bool forwarded_;  // Sent by a follower: never forwarded again.
  uint64_t stream_token_ = 0;

  std::mutex mu_;
  etcdserverpb::LeaseKeepAliveRequest request_;
  etcdserverpb::LeaseKeepAliveResponse response_;
  bool busy_ = false;  // A request is being answered (renewed, forwarded or written).
  std::optional<grpc::Status> finish_;
  bool finished_ = false;
};

}  // namespace regent::server
