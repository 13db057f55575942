#include "server/host/sync_stage.h"

#include <chrono>
#include <utility>

#include "common/assert.h"

namespace regent::server {

SyncStage::SyncStage(storage::DiskStorage& storage, LatencyHistogram& fsync_seconds, Done done)
    : storage_(storage), fsync_seconds_(fsync_seconds), done_(std::move(done)) {
  thread_ = std::thread([this] { run(); });
}

void SyncStage::request(uint64_t round) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    REGENT_ASSERT(!requested_, "sync of round {} asked while round {} waits", round, *requested_);
    requested_ = round;
  }
  wake_.notify_one();
}

void SyncStage::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SyncStage::run() {
  while (true) {
    uint64_t round = 0;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || requested_; });
      if (stopping_) return;
      round = *std::exchange(requested_, std::nullopt);
    }
    const auto began = std::chrono::steady_clock::now();
    storage::IoStatus synced = storage_.sync_log_file();
    fsync_seconds_.record(std::chrono::steady_clock::now() - began);
    done_(round, std::move(synced));
  }
}

}  // namespace regent::server
