// What a store keeps for its running image jobs (image_job.h) while it moves on: which jobs
// run, and for each the records that compaction dropped but the job has yet to write.
//
// A job owns its ImageHold; the store only observes it (ImageHolds keeps weak_ptrs), so a job
// destroyed early releases everything it kept without touching the store, and without a lock.
// An ImageHold is touched by its job's steps (while the store's writers are excluded) and by
// compaction (a write), never by both at once: the caller's lock orders them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kv/key_index.h"

namespace regent::kv {

struct ImageHold {
  explicit ImageHold(int64_t r) : revision(r) {}

  // Keeps those of `records` (a prefix that compaction just removed from `key`) that the job
  // still has to write: records at or before its revision, of a key it has not written yet.
  void keep_dropped(const std::string& key, std::vector<Record> records);

  const int64_t revision;  // R: the job writes the store as it stood at R.
  // Every key before it is written, and compaction keeps nothing more for those.
  std::string next_key;
  // Per key not yet written: its records at or before R that compaction dropped, in revision
  // order. They all come before every record the key still holds in the store.
  std::map<std::string, std::vector<Record>, std::less<>> dropped;
};

// The store's side: the jobs begun on this very store. A copy of a store, or a store assigned
// over (restored), serves none of them: their steps then report the store replaced.
class ImageHolds {
 public:
  ImageHolds() = default;
  ImageHolds(const ImageHolds&) noexcept {}
  ImageHolds& operator=(const ImageHolds&) noexcept {
    holds_.clear();
    return *this;
  }
  ImageHolds(ImageHolds&& other) noexcept : holds_(std::move(other.holds_)) {
    other.holds_.clear();
  }
  ImageHolds& operator=(ImageHolds&& other) noexcept {
    holds_ = std::move(other.holds_);
    other.holds_.clear();
    return *this;
  }

  void add(const std::shared_ptr<ImageHold>& hold) { holds_.push_back(hold); }
  // Whether `hold` belongs to a job begun on this store and not replaced since.
  bool serves(const ImageHold& hold) const;
  // The jobs still running; forgets those that ended.
  std::vector<std::shared_ptr<ImageHold>> live();
  size_t count() const;

  // Hands `records`, just dropped from `key` by compaction, to every job in `jobs` that needs
  // them (a copy each but the last, which takes them).
  static void keep_dropped(const std::vector<std::shared_ptr<ImageHold>>& jobs,
                           const std::string& key, std::vector<Record>& records);

 private:
  std::vector<std::weak_ptr<ImageHold>> holds_;
};

}  // namespace regent::kv
