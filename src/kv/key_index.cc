#include "kv/key_index.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "common/assert.h"

namespace regent::kv {

std::vector<Record>::const_iterator KeyIndex::after(int64_t at) const {
  return std::upper_bound(records_.begin(), records_.end(), at,
                          [](int64_t rev, const Record& r) { return rev < r.rev.main; });
}

const Record* KeyIndex::get(int64_t at) const {
  auto it = after(at);
  if (it == records_.begin()) return nullptr;
  const Record& r = *std::prev(it);
  return r.tombstone ? nullptr : &r;
}

const Record* KeyIndex::latest() const {
  if (records_.empty() || records_.back().tombstone) return nullptr;
  return &records_.back();
}

void KeyIndex::put(Revision rev, std::string value, int64_t lease) {
  REGENT_ASSERT(records_.empty() || records_.back().rev.main < rev.main,
                "key changed twice at revision {}", rev.main);
  Record r{.rev = rev, .lease = lease, .value = std::move(value)};
  if (const Record* cur = latest()) {
    r.create_revision = cur->create_revision;
    r.version = cur->version + 1;
  } else {
    r.create_revision = rev.main;
    r.version = 1;
  }
  records_.push_back(std::move(r));
}

void KeyIndex::tombstone(Revision rev) {
  REGENT_ASSERT(latest() != nullptr, "tombstone of a key that does not exist");
  REGENT_ASSERT(records_.back().rev.main < rev.main, "key changed twice at revision {}", rev.main);
  records_.push_back(Record{.rev = rev, .tombstone = true});
}

bool KeyIndex::compact(int64_t at, std::vector<Record>* dropped) {
  auto end = after(at);
  if (end == records_.begin()) return records_.empty();
  auto keep = std::prev(end);
  const auto drop_count = (keep->tombstone ? end : keep) - records_.cbegin();
  const auto drop_end = records_.begin() + drop_count;
  if (dropped != nullptr) {
    dropped->insert(dropped->end(), std::make_move_iterator(records_.begin()),
                    std::make_move_iterator(drop_end));
  }
  records_.erase(records_.begin(), drop_end);
  return records_.empty();
}

KeyIndex KeyIndex::from_records(std::vector<Record> records) {
  KeyIndex k;
  k.records_ = std::move(records);
  return k;
}

namespace {

// What is wrong with `r` as the first kept record of a key, or "".
std::string check_first(const Record& r, int64_t compacted) {
  if (r.tombstone) return "history starts with a tombstone";
  if (r.version < 1 || r.version > r.rev.main) return fmt::format("bad version {}", r.version);
  if ((r.version == 1) != (r.create_revision == r.rev.main)) {
    return fmt::format("version {} created at {}", r.version, r.create_revision);
  }
  if (r.create_revision < 2 || r.create_revision > r.rev.main) {
    return fmt::format("create revision {} of a put at {}", r.create_revision, r.rev.main);
  }
  if (r.version > 1 && r.rev.main > compacted) return "earlier versions missing";
  return "";
}

// What is wrong with `r` following `prev` in one key's history, or "".
std::string check_next(const Record& prev, const Record& r, int64_t compacted) {
  if (r.rev.main <= prev.rev.main) return "revisions not increasing";
  if (r.rev.main <= compacted) return "two records at or before the compacted revision";
  if (r.tombstone) {
    if (prev.tombstone) return "two tombstones in a row";
    return "";
  }
  const bool starts = prev.tombstone;
  const int64_t version = starts ? 1 : prev.version + 1;
  const int64_t create = starts ? r.rev.main : prev.create_revision;
  if (r.version != version || r.create_revision != create) {
    return fmt::format("put at {} has version {} created at {}, want {} created at {}", r.rev.main,
                       r.version, r.create_revision, version, create);
  }
  return "";
}

std::string check_record(const Record& r, int64_t revision) {
  if (r.rev.main < 2 || r.rev.main > revision || r.rev.sub < 0) {
    return fmt::format("revision {}.{} outside (1, {}]", r.rev.main, r.rev.sub, revision);
  }
  if (r.tombstone &&
      (r.create_revision != 0 || r.version != 0 || r.lease != 0 || !r.value.empty())) {
    return "tombstone with a value";
  }
  return "";
}

}  // namespace

std::string valid_history(const std::vector<Record>& records, int64_t compacted, int64_t revision) {
  if (records.empty()) return "empty history";
  for (size_t i = 0; i < records.size(); ++i) {
    std::string problem = check_record(records[i], revision);
    if (problem.empty()) {
      problem = i == 0 ? check_first(records[0], compacted)
                       : check_next(records[i - 1], records[i], compacted);
    }
    if (!problem.empty()) return problem;
  }
  return "";
}

}  // namespace regent::kv
