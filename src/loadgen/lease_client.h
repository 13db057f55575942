// One client of the lease-keepalive workload: it grants a lease (--lease-ttl), then keeps it
// alive over a LeaseKeepAlive stream, closed loop: send the lease id, wait for the answer (one
// latency sample), send again. At the end it revokes its lease.
//
// Invariants:
//  - At most one keep-alive round trip in flight, on at most one stream; Finish is called only
//    when no Read or Write is pending, once per stream.
//  - A round trip not answered within --timeout is an error (DEADLINE_EXCEEDED) and ends the
//    stream; the watchdog alarm that checks this is re-armed only after it came back.
//  - A failed grant, a stream that could not open or broke, and a round trip answered "lease
//    gone" (TTL <= 0) are errors; the client pauses and retries (the grant, the stream).
//  - Finished only once nothing is pending and the granted lease (if any) was revoked (or the
//    revoke failed, which is an error too). A lease answered "gone" is revoked at the end as
//    well (quietly): a member may answer so for a lease it has not applied yet, which lives on.
//    At most kMaxLostLeases of them are remembered.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/async_stream.h>

#include <memory>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "loadgen/budget.h"
#include "loadgen/reactor.h"
#include "loadgen/recorder.h"
#include "loadgen/unary_call.h"

namespace regent::loadgen {

struct LeaseClientConfig {
  int64_t ttl_s = 60;
  Clock::duration timeout = std::chrono::seconds(10);
  Clock::duration error_pause = std::chrono::milliseconds(1);
  Clock::duration reopen_pause = std::chrono::milliseconds(50);
};

class LeaseClient final : public Reactor {
 public:
  LeaseClient(grpc::CompletionQueue* cq, Recorder* recorder, Budget* budget, const RunClock* clock,
              const std::shared_ptr<grpc::Channel>& channel, LeaseClientConfig config);

 private:
  enum Event {
    kGranted = kFirstEvent,
    kStarted,
    kWritten,
    kRead,
    kFinished,
    kRevoked,
    kResume,
    kWatchdog
  };
  enum class AfterPause { kGrant, kOpen };
  using Stream = grpc::ClientAsyncReaderWriter<etcdserverpb::LeaseKeepAliveRequest,
                                               etcdserverpb::LeaseKeepAliveResponse>;

  void on_start() override;
  void on_stop() override;
  void on_event(int event, bool ok) override;

  void grant();
  void granted();
  void open();
  void send();
  void read(bool ok);
  void end_stream(bool cancel);
  void finished_stream();
  void watchdog(bool ok);
  void pause(Clock::duration length, AfterPause then);
  void resume();
  void fail(const std::string& what, Clock::time_point now);
  void wrap_up();
  void revoke_next();
  void revoked();
  void finish_if_idle();

  Recorder* recorder_;
  Budget* budget_;
  const RunClock* clock_;
  std::unique_ptr<etcdserverpb::Lease::Stub> stub_;
  LeaseClientConfig config_;

  UnarySlot<etcdserverpb::LeaseGrantResponse> grant_;
  UnarySlot<etcdserverpb::LeaseRevokeResponse> revoke_;
  grpc::Status unary_status_;
  bool unary_pending_ = false;
  int64_t lease_id_ = 0;  // 0: none granted (or it was revoked or lost).
  static constexpr size_t kMaxLostLeases = 64;
  std::vector<int64_t> lost_leases_;
  struct Revoke {
    int64_t id = 0;
    bool lost = false;  // A failed revoke of a lost lease is expected, not an error.
  };
  std::vector<Revoke> to_revoke_;
  Revoke revoking_;

  // Declared context first: the stream lives in the call's arena and goes before its context.
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<Stream> stream_;
  etcdserverpb::LeaseKeepAliveRequest keep_alive_;
  etcdserverpb::LeaseKeepAliveResponse answer_;
  grpc::Status stream_status_;
  int pending_ = 0;             // Operations of the current stream in flight.
  bool ending_ = false;         // The current stream is being finished.
  bool in_round_trip_ = false;  // A keep-alive was sent and is not answered yet.
  bool timed_out_ = false;
  bool lease_lost_ = false;
  Clock::time_point sent_{};

  grpc::Alarm pause_;
  grpc::Alarm watchdog_;
  bool paused_ = false;
  AfterPause after_pause_ = AfterPause::kGrant;
  bool watchdog_armed_ = false;
  bool done_ = false;  // Budget spent or deadline passed: wrap up.
  bool wrapping_up_ = false;
  bool wrapped_up_ = false;

  Tag granted_tag_{this, kGranted};
  Tag started_tag_{this, kStarted};
  Tag written_tag_{this, kWritten};
  Tag read_tag_{this, kRead};
  Tag finished_tag_{this, kFinished};
  Tag revoked_tag_{this, kRevoked};
  Tag resume_tag_{this, kResume};
  Tag watchdog_tag_{this, kWatchdog};
};

}  // namespace regent::loadgen
