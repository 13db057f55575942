#include "kv/image_hold.h"

#include <algorithm>

#include "common/assert.h"

namespace regent::kv {

void ImageHold::keep_dropped(const std::string& key, std::vector<Record> records) {
  if (key < next_key) return;
  std::erase_if(records, [this](const Record& r) { return r.rev.main > revision; });
  if (records.empty()) return;
  std::vector<Record>& kept = dropped[key];
  // A later compaction drops what followed an earlier one's prefix: the order holds.
  REGENT_ASSERT(kept.empty() || kept.back().rev < records.front().rev,
                "records of {:?} dropped out of order", key);
  kept.insert(kept.end(), std::make_move_iterator(records.begin()),
              std::make_move_iterator(records.end()));
}

bool ImageHolds::serves(const ImageHold& hold) const {
  return std::any_of(holds_.begin(), holds_.end(), [&hold](const std::weak_ptr<ImageHold>& h) {
    return h.lock().get() == &hold;
  });
}

std::vector<std::shared_ptr<ImageHold>> ImageHolds::live() {
  std::erase_if(holds_, [](const std::weak_ptr<ImageHold>& h) { return h.expired(); });
  std::vector<std::shared_ptr<ImageHold>> jobs;
  // A job may end on its own thread at any time, even between the two lines.
  for (const std::weak_ptr<ImageHold>& h : holds_) {
    if (std::shared_ptr<ImageHold> job = h.lock()) jobs.push_back(std::move(job));
  }
  return jobs;
}

size_t ImageHolds::count() const {
  return static_cast<size_t>(
      std::count_if(holds_.begin(), holds_.end(), [](const auto& h) { return !h.expired(); }));
}

void ImageHolds::keep_dropped(const std::vector<std::shared_ptr<ImageHold>>& jobs,
                              const std::string& key, std::vector<Record>& records) {
  if (records.empty()) return;
  for (size_t i = 0; i + 1 < jobs.size(); ++i) jobs[i]->keep_dropped(key, records);
  if (!jobs.empty()) jobs.back()->keep_dropped(key, std::move(records));
}

}  // namespace regent::kv
