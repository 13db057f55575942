// The storage stage: the log's fdatasync on a thread of its own, so that the loop goes on
// stepping, sending and answering while the disk works (node/node_core.h: the pipeline).
//
// Invariants: at most one sync runs at a time (the core asks for the next only after it was told
// the last one is done); while it runs, the loop writes nothing to the storage (the core queues
// its rounds), so the fdatasync covers exactly what was written before it was asked for; `done`
// is called once per request, on the stage's thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "server/host/latency_histogram.h"
#include "storage/disk_storage.h"

namespace regent::server {

class SyncStage {
 public:
  using Done = std::function<void(uint64_t round, storage::IoStatus synced)>;

  SyncStage(storage::DiskStorage& storage, LatencyHistogram& fsync_seconds, Done done);
  ~SyncStage() { stop(); }

  // Loop thread: sync what was written so far, then report `round` done.
  void request(uint64_t round);
  // Waits for a sync in progress; later requests are dropped. Idempotent.
  void stop();

 private:
  void run();

  storage::DiskStorage& storage_;
  LatencyHistogram& fsync_seconds_;
  Done done_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::optional<uint64_t> requested_;  // Under mu_.
  bool stopping_ = false;              // Under mu_.
  std::thread thread_;
};

}  // namespace regent::server
