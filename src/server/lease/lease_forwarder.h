// A follower's way to the leader's lessor: KeepAlive and TimeToLive need the lease's deadline,
// which only the leader keeps (lessor.h), so a follower calls the leader's own Lease service.
// The leader is found through the Raft loop's status and its client URL in the member table;
// one channel is kept, for the current leader, and replaced when the leader changes.
//
// Calls carry the metadata kForwardedKey, so that a member that receives one and does not lead
// (it lost leadership meanwhile) answers "leader changed" rather than forwarding it again.
// Every call has a deadline; stop() cancels those in flight and refuses new ones, so nothing
// outlives the member.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/host/raft_node.h"
#include "server/member_security.h"
#include "server/node/failure.h"
#include "server/node/state_machine.h"

namespace regent::server {

inline constexpr const char* kForwardedKey = "regent-forwarded";

class LeaseForwarder {
 public:
  template <class Response>
  using Done = std::function<void(Expected<Response, Failure>)>;

  // `security`: how the leader's client URL is dialed (TLS for https://); outlives this.
  LeaseForwarder(const RaftNode& node, const StateMachine& machine, raft::NodeId self,
                 std::chrono::milliseconds timeout, const MemberSecurity& security);
  ~LeaseForwarder() { stop(); }

  // `done` runs once, on a gRPC thread (or at once if the call cannot start): with the leader's
  // answer, or the failure to get one (no leader: "no leader"; unreachable: its gRPC status).
  void time_to_live(const etcdserverpb::LeaseTimeToLiveRequest& request,
                    Done<etcdserverpb::LeaseTimeToLiveResponse> done);
  void keep_alive(const etcdserverpb::LeaseKeepAliveRequest& request,
                  Done<etcdserverpb::LeaseKeepAliveResponse> done);

  void stop();

 private:
  class KeepAliveCall;

  // The current leader's stub, or why there is none.
  Expected<std::shared_ptr<etcdserverpb::Lease::Stub>, Failure> leader_stub();
  // Prepares a call's context, registered for stop(); false once stopped.
  bool begin(grpc::ClientContext& context);
  void end(grpc::ClientContext& context);

  const RaftNode& node_;
  const StateMachine& machine_;
  const raft::NodeId self_;
  const std::chrono::milliseconds timeout_;
  const MemberSecurity& security_;

  // Recursive: cancelling a call in stop() may complete it on the spot, and its completion
  // takes the lock again to leave in_flight_.
  std::recursive_mutex mu_;
  raft::NodeId leader_ = raft::kNone;  // Whose stub is cached.
  std::string target_;
  std::shared_ptr<etcdserverpb::Lease::Stub> stub_;
  std::set<grpc::ClientContext*> in_flight_;
  bool stopped_ = false;
};

}  // namespace regent::server
