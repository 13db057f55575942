// Maintenance.Snapshot: this member's state, streamed as a backup (node/backup_file.h) that
// `etcdctl snapshot save` and `regentctl snapshot save` write to a file.
//
// The image is the state machine as it stood between two applies (RaftNode::begin_backup), taken
// on a thread of the stream's own in bounded chunks while writes go on (node/image_job.h), so a
// backup never stops the member's writes. It is then sent in blobs of kBlobBytes, each with the
// bytes still to come, one write at a time.
//
// Invariants: Finish is called exactly once, by the worker thread before any write is started or
// by OnWriteDone after the last one; OnDone joins the worker, which has finished by then.
#pragma once

#include <atomic>
#include <future>
#include <string>
#include <thread>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/service_context.h"
#include "server/node/image_job.h"

namespace regent::server {

class SnapshotStream final : public grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse> {
 public:
  static constexpr uint64_t kBlobBytes = 256 << 10;

  SnapshotStream(const ServiceContext& ctx, Logger& logger);

  void OnWriteDone(bool ok) override;
  void OnCancel() override { cancelled_ = true; }
  void OnDone() override;

 private:
  void produce();
  // The next blob, or Finish once everything was sent.
  void write_next();

  const ServiceContext& ctx_;
  Logger& logger_;
  std::promise<Expected<ImageJob, Failure>> job_;
  std::future<Expected<ImageJob, Failure>> job_ready_ = job_.get_future();
  std::atomic<bool> cancelled_{false};
  int64_t revision_ = 0;
  std::string head_;
  std::string image_;
  std::string tail_;
  uint64_t sent_ = 0;
  uint64_t total_ = 0;
  etcdserverpb::SnapshotResponse response_;
  std::thread worker_;  // Last: started once everything it uses exists.
};

}  // namespace regent::server
