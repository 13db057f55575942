// ImageJob: the store's image at a revision, in steps (contract and reasoning in image_job.h).
#include "kv/image_job.h"

#include "common/assert.h"
#include "kv/image_codec.h"
#include "kv/record_codec.h"
#include "kv/store.h"

namespace regent::kv {

ImageJob Store::begin_image() {
  auto hold = std::make_shared<ImageHold>(revision_);
  image_holds_.add(hold);
  return ImageJob(std::move(hold), compact_revision_, encode_leases(leases_));
}

void ImageJob::prepare_step(const ImageChunk& chunk) {
  // A step stops once past max_bytes; the slack covers the key that takes it past.
  next_part_.reserve(chunk.max_bytes + chunk.max_bytes / 4);
  if (parts_.size() == parts_.capacity()) parts_.reserve(2 * parts_.size() + 16);
  written_dropped_.clear();
  written_dropped_.reserve(chunk.max_keys);
}

ImageJob::Progress ImageJob::step(const Store& store, const ImageChunk& chunk) {
  REGENT_ASSERT(!done_, "step of a job that is done");
  REGENT_ASSERT(chunk.max_keys > 0, "a step that may visit no key never ends");
  if (!store.image_holds_.serves(*hold_)) return Progress::kStoreReplaced;
  const Store::KeyMap& keys = store.keys_;
  auto in_store = keys.lower_bound(hold_->next_key);
  std::string part = std::move(next_part_);
  next_part_ = {};
  for (size_t visited = 0; visited < chunk.max_keys && part.size() < chunk.max_bytes; ++visited) {
    // Every key the job holds records for is at or after next_key: written ones are erased.
    const auto in_job = hold_->dropped.begin();
    const bool store_has = in_store != keys.end();
    const bool job_has = in_job != hold_->dropped.end();
    REGENT_ASSERT(!job_has || in_job->first >= hold_->next_key, "kept records of a written key");
    if (!store_has && !job_has) {
      done_ = true;
      hold_.reset();  // Compaction need keep nothing more for this job.
      break;
    }
    const bool store_first = store_has && (!job_has || in_store->first <= in_job->first);
    std::string key = store_first ? in_store->first : in_job->first;
    const KeyIndex* index = nullptr;
    if (store_has && in_store->first == key) index = &(in_store++)->second;
    if (write_key(part, key, index)) ++key_count_;
    key.push_back('\0');  // The key right after it.
    hold_->next_key = std::move(key);
  }
  if (!part.empty()) parts_.push_back(std::move(part));
  return done_ ? Progress::kDone : Progress::kMore;
}

bool ImageJob::write_key(std::string& out, const std::string& key, const KeyIndex* in_store) {
  std::vector<Record> dropped;
  if (auto it = hold_->dropped.find(key); it != hold_->dropped.end()) {
    dropped = std::move(it->second);
    hold_->dropped.erase(it);
  }
  const std::span<const Record> kept =
      in_store != nullptr ? in_store->up_to(revision_) : std::span<const Record>();
  if (dropped.empty() && kept.empty()) return false;  // The key was made after R.
  REGENT_ASSERT(dropped.empty() || kept.empty() || dropped.back().rev < kept.front().rev,
                "records of {:?} dropped for the image overlap those kept", key);
  put_key_header(out, key, dropped.size() + kept.size());
  for (const Record& r : dropped) put_record(out, r);
  for (const Record& r : kept) put_record(out, r);
  written_dropped_.push_back(std::move(dropped));  // Freed by prepare_step(), out of the lock.
  return true;
}

std::string ImageJob::take() {
  REGENT_ASSERT(done_ && !taken_, "image taken before the job was done, or twice");
  taken_ = true;
  std::string image = seal_image(revision_, compact_revision_, key_count_, parts_, leases_);
  parts_ = {};
  leases_ = {};
  return image;
}

}  // namespace regent::kv
