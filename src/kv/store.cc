// The store's writes (put, delete, compact), the reads they share, and the invariant check.
// Range is in range.cc, Txn in txn.cc, HashKV in hash.cc, the image in image.cc.
#include "kv/store.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "common/assert.h"
#include "kv/validate.h"

namespace regent::kv {

KeyValue to_key_value(std::string_view key, const Record& r, bool with_value) {
  REGENT_ASSERT(!r.tombstone, "a tombstone is not a key value");
  return KeyValue{.key = std::string(key),
                  .create_revision = r.create_revision,
                  .mod_revision = r.rev.main,
                  .version = r.version,
                  .value = with_value ? r.value : std::string(),
                  .lease = r.lease};
}

Store::Write Store::begin_write() const {
  REGENT_ASSERT(revision_ < kMaxRevision, "revision {} exhausted", revision_);
  return Write{revision_ + 1, 0};
}

void Store::finish(const Write& w) {
  REGENT_ASSERT(w.main == revision_ + 1, "interleaved writes at {} and {}", w.main, revision_);
  if (w.changed()) revision_ = w.main;
  // A change that bypassed record_put()/record_tombstone() would be missing from the index.
  REGENT_ASSERT(!w.changed() || (revisions_.newest() == Revision{w.main, w.next_sub - 1}),
                "revision {} made {} changes; the revision index ends at {}.{}", w.main, w.next_sub,
                revisions_.newest().main, revisions_.newest().sub);
}

void Store::record_put(KeyIndex& index, const std::string& key, Write& w, std::string value,
                       int64_t lease) {
  const Revision rev = w.next();
  if (index.records().empty()) kept_bytes_ += kKeyWeight + key.size();
  kept_bytes_ += kRecordWeight + value.size();
  index.put(rev, std::move(value), lease);
  revisions_.add(rev, key);
}

void Store::record_tombstone(KeyIndex& index, const std::string& key, Write& w) {
  const Revision rev = w.next();
  if (index.records().empty()) kept_bytes_ += kKeyWeight + key.size();
  kept_bytes_ += kRecordWeight;
  index.tombstone(rev);
  revisions_.add(rev, key);
}

void Store::for_each(const KeyRange& range, const KeyVisitor& visit) const {
  if (range.single()) {
    if (auto it = keys_.find(range.begin()); it != keys_.end()) visit(it->first, it->second);
    return;
  }
  for (auto it = keys_.lower_bound(range.begin());
       it != keys_.end() && !range.ends_before(it->first); ++it) {
    visit(it->first, it->second);
  }
}

Expected<int64_t, Error> Store::read_revision(int64_t requested) const {
  if (requested > revision_) return unexpected(future_revision());
  const int64_t at = requested <= 0 ? revision_ : requested;
  if (at < compact_revision_) return unexpected(compacted());
  return at;
}

Expected<void, Error> Store::check_put_target(const PutRequest& r) const {
  // etcd checks the lease first (applierV3backend.Put).
  if (r.lease != 0 && !leases_.contains(r.lease)) return unexpected(lease_not_found());
  if (!r.ignore_value && !r.ignore_lease) return {};
  auto it = keys_.find(r.key);
  if (it == keys_.end() || it->second.latest() == nullptr) return unexpected(key_not_found());
  return {};
}

Expected<PutResponse, Error> Store::put(const PutRequest& r) {
  if (auto ok = check_put_request(r); !ok) return unexpected(ok.error());
  if (auto ok = check_put_target(r); !ok) return unexpected(ok.error());
  Write w = begin_write();
  PutResponse resp = apply_put(r, w);
  finish(w);
  return resp;
}

PutResponse Store::apply_put(const PutRequest& r, Write& w) {
  KeyIndex& index = keys_[r.key];
  const Record* prev = index.latest();
  REGENT_ASSERT(prev != nullptr || (!r.ignore_value && !r.ignore_lease), "unchecked put");
  PutResponse resp;
  if (r.prev_kv && prev != nullptr) resp.prev_kv = to_key_value(r.key, *prev);
  std::string value = r.ignore_value ? prev->value : r.value;
  const int64_t lease = r.ignore_lease ? prev->lease : r.lease;
  leases_.move(r.key, prev != nullptr ? prev->lease : 0, lease);
  record_put(index, r.key, w, std::move(value), lease);
  resp.revision = w.view();
  return resp;
}

Expected<DeleteRangeResponse, Error> Store::delete_range(const DeleteRangeRequest& r) {
  if (auto range = check_delete_request(r); !range) return unexpected(range.error());
  Write w = begin_write();
  DeleteRangeResponse resp = apply_delete(r, w);
  finish(w);
  return resp;
}

DeleteRangeResponse Store::apply_delete(const DeleteRangeRequest& r, Write& w) {
  DeleteRangeResponse resp;
  std::vector<std::string> doomed;
  for_each(KeyRange::checked(r.key, r.range_end), [&](const std::string& key, const KeyIndex& k) {
    const Record* cur = k.latest();
    if (cur == nullptr) return;
    if (r.prev_kv) resp.prev_kvs.push_back(to_key_value(key, *cur));
    doomed.push_back(key);
  });
  for (const std::string& key : doomed) {
    KeyIndex& index = keys_.find(key)->second;
    leases_.move(key, index.latest()->lease, 0);
    record_tombstone(index, key, w);
  }
  resp.deleted = static_cast<int64_t>(doomed.size());
  resp.revision = w.view();
  return resp;
}

Expected<CompactionResponse, Error> Store::compact(const CompactionRequest& r) {
  if (r.revision > revision_) return unexpected(future_revision());
  if (r.revision <= compact_revision_) return unexpected(compacted());
  // The records a running image job has yet to write move into the job instead of vanishing
  // (image_job.h): reads see the compaction at once all the same.
  const std::vector<std::shared_ptr<ImageHold>> jobs = image_holds_.live();
  std::vector<Record> dropped;
  for (auto it = keys_.begin(); it != keys_.end();) {
    dropped.clear();
    const uint64_t before = weigh_key(it->first, it->second);
    const bool emptied = it->second.compact(r.revision, jobs.empty() ? nullptr : &dropped);
    kept_bytes_ -= before - (emptied ? 0 : weigh_key(it->first, it->second));
    ImageHolds::keep_dropped(jobs, it->first, dropped);
    it = emptied ? keys_.erase(it) : std::next(it);
  }
  compact_revision_ = r.revision;
  revisions_.compact(r.revision);
  return CompactionResponse{.revision = revision_};
}

size_t Store::version_count() const {
  size_t n = 0;
  for (const auto& [key, index] : keys_) n += index.records().size();
  return n;
}

namespace {

// Invariant 3 over every kept revision, sorted. Returns "" if it holds, or what is wrong.
std::string check_revisions(std::vector<Revision> revs, int64_t compacted, int64_t revision) {
  std::sort(revs.begin(), revs.end());
  if (std::adjacent_find(revs.begin(), revs.end()) != revs.end()) return "shared revision";
  Revision last{std::max<int64_t>(compacted, 1), -2};  // The next must start a main revision.
  for (const Revision& r : revs) {
    if (r.main <= compacted) continue;
    const bool next_sub = r.main == last.main && r.sub == last.sub + 1;
    const bool next_main = r.main == last.main + 1 && r.sub == 0;
    if (!next_sub && !next_main) return fmt::format("gap before revision {}.{}", r.main, r.sub);
    last = r;
  }
  if (last.main != revision) return fmt::format("no change at revision {}", last.main + 1);
  return "";
}

}  // namespace

std::string Store::find_problem() const {
  if (revision_ < 1 || revision_ > kMaxRevision || compact_revision_ < 0 ||
      compact_revision_ > revision_) {
    return fmt::format("revision {}, compacted {}", revision_, compact_revision_);
  }
  std::vector<Revision> revs;
  for (const auto& [key, index] : keys_) {
    if (key.empty()) return "empty key held";
    std::string problem = valid_history(index.records(), compact_revision_, revision_);
    if (!problem.empty()) return fmt::format("key {:?}: {}", key, problem);
    for (const Record& r : index.records()) revs.push_back(r.rev);
  }
  std::string problem = check_revisions(std::move(revs), compact_revision_, revision_);
  if (problem.empty()) problem = revisions_.check(keys_, compact_revision_);
  if (problem.empty() && kept_bytes_ != weigh_keys(keys_)) {
    problem = fmt::format("bytes in use counted {}, weighed {}", kept_bytes_, weigh_keys(keys_));
  }
  return problem.empty() ? find_lease_problem() : problem;
}

void Store::check_invariants() const {
  const std::string problem = find_problem();
  REGENT_ASSERT(problem.empty(), "kv store invariant broken: {}", problem);
}

}  // namespace regent::kv
