#include "server/api/snapshot_stream.h"

#include <algorithm>

#include "server/backup_file.h"
#include "server/grpc_status.h"
#include "server/host/raft_node.h"

namespace regent::server {

SnapshotStream::SnapshotStream(const ServiceContext& ctx, Logger& logger)
    : ctx_(ctx), logger_(logger) {
  worker_ = std::thread([this] { produce(); });
  // The loop hands the job over between two applies; the worker waits for it.
  ctx_.node->begin_backup(
      [this](Expected<ImageJob, Failure> job) { job_.set_value(std::move(job)); });
}

void SnapshotStream::produce() {
  Expected<ImageJob, Failure> job = job_ready_.get();
  if (!job) return Finish(to_grpc(job.error()));
  revision_ = job->revision();
  Expected<std::string, std::string> image = job->run();
  if (!image) {
    logger_.warn("backup at revision {} failed: {}", revision_, image.error());
    return Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "etcdserver: the backup's image failed: " + image.error()));
  }
  image_ = std::move(*image);
  head_ = backup_head(revision_, image_.size());
  tail_ = backup_tail(head_, image_);  // The SHA-256: a second pass over the image.
  total_ = head_.size() + image_.size() + tail_.size();
  logger_.info("sending a backup at revision {} ({} bytes)", revision_, total_);
  write_next();
}

void SnapshotStream::write_next() {
  if (cancelled_) return Finish(grpc::Status::CANCELLED);
  if (sent_ == total_) {
    logger_.info("sent the backup at revision {} ({} bytes)", revision_, total_);
    return Finish(grpc::Status::OK);
  }
  // The blob is the next kBlobBytes of head + image + tail, as if they were one string.
  std::string* blob = response_.mutable_blob();
  blob->clear();
  uint64_t at = sent_;
  for (const std::string* part : {&head_, &image_, &tail_}) {
    if (at < part->size() && blob->size() < kBlobBytes) {
      const uint64_t n = std::min<uint64_t>(part->size() - at, kBlobBytes - blob->size());
      blob->append(*part, at, n);
      at += n;
    }
    at = at >= part->size() ? at - part->size() : 0;
    if (blob->size() == kBlobBytes) break;
  }
  sent_ += blob->size();
  response_.set_remaining_bytes(total_ - sent_);
  ctx_.fill(response_.mutable_header(), revision_);
  StartWrite(&response_);
}

void SnapshotStream::OnWriteDone(bool ok) {
  if (!ok) return Finish(grpc::Status::CANCELLED);
  write_next();
}

void SnapshotStream::OnDone() {
  if (worker_.joinable()) worker_.join();
  delete this;
}

}  // namespace regent::server
