#include "storage/replay.h"

#include <fmt/format.h>

#include <algorithm>

namespace regent::storage {

namespace {

Failure corrupt(const std::string& wal_dir, const WalRecord& at, std::string_view what) {
  return Failure{FailureKind::kCorrupt,
                 fmt::format("wal: {} is corrupt at offset {}: {}. {}", join_path(wal_dir, at.file),
                             at.offset, what, corruption_advice())};
}

}  // namespace

Expected<SnapshotMark, Failure> find_newest_mark(const std::vector<WalRecord>& records,
                                                 const std::string& wal_dir) {
  SnapshotMark newest;
  for (const WalRecord& r : records) {
    SnapshotMark mark;
    if (r.type == RecordType::kSegmentHeader) {
      auto h = decode_segment_header(r.payload);
      if (!h) return unexpected(corrupt(wal_dir, r, "unreadable segment header"));
      mark = SnapshotMark{h->snapshot_index, h->snapshot_term};
    } else if (r.type == RecordType::kSnapshotMark) {
      auto m = decode_snapshot_mark(r.payload);
      if (!m) return unexpected(corrupt(wal_dir, r, "unreadable snapshot mark"));
      mark = *m;
    } else {
      continue;
    }
    if (mark.index > newest.index) newest = mark;
  }
  return newest;
}

Expected<Replayed, Failure> replay(const std::vector<WalRecord>& records,
                                   const raft::SnapshotMetadata& snapshot,
                                   const std::string& wal_dir) {
  std::vector<raft::Entry> log;  // Contiguous; may start before the snapshot.
  // After a log-replacing mark, the index the next entry must take.
  std::optional<raft::Index> next_expected;
  Replayed out;
  for (const WalRecord& r : records) {
    switch (r.type) {
      case RecordType::kEntry: {
        auto head = decode_entry_head(r.payload);
        if (!head) return unexpected(corrupt(wal_dir, r, "unreadable entry"));
        raft::Entry* e = &head->entry;
        // An entry at or before the snapshot is dropped below whatever follows it, and only its
        // index and term are read until then: its data is not copied.
        if (e->index > snapshot.index) e->data = std::string(head->data);
        const raft::Index expected_next =
            !log.empty() ? log.back().index + 1 : next_expected.value_or(e->index);
        if (e->index > expected_next) {
          return unexpected(corrupt(
              wal_dir, r,
              fmt::format("entry {} leaves a gap after entry {}", e->index, expected_next - 1)));
        }
        if (!log.empty() && e->index <= log.back().index) {
          // A new leader's entry replaces the tail from its index on (the log is contiguous).
          log.resize(e->index > log.front().index ? e->index - log.front().index : 0);
        }
        log.push_back(std::move(*e));
        break;
      }
      case RecordType::kHardState: {
        auto hs = decode_hard_state(r.payload);
        if (!hs) return unexpected(corrupt(wal_dir, r, "unreadable hard state"));
        out.hard_state = *hs;
        break;
      }
      case RecordType::kSnapshotMark: {
        auto m = decode_snapshot_mark(r.payload);
        if (!m) return unexpected(corrupt(wal_dir, r, "unreadable snapshot mark"));
        if (m->replaces_log) {
          log.clear();
          next_expected = m->index + 1;
        }
        break;
      }
      case RecordType::kSegmentHeader:
      case RecordType::kSyncPoint:
        break;
    }
  }
  // Keep what follows the snapshot; it must connect to it.
  for (const raft::Entry& e : log) {
    if (e.index == snapshot.index && e.term != snapshot.term) {
      return unexpected(Failure{
          FailureKind::kCorrupt,
          fmt::format("wal: entry {} in {} has term {} but the snapshot at that index has term {}: "
                      "the log and the snapshot disagree. {}",
                      e.index, wal_dir, e.term, snapshot.term, corruption_advice())});
    }
  }
  std::erase_if(log, [&](const raft::Entry& e) { return e.index <= snapshot.index; });
  if (!log.empty() && log.front().index != snapshot.index + 1) {
    return unexpected(Failure{
        FailureKind::kCorrupt,
        fmt::format("wal: the log in {} resumes at entry {} but the snapshot ends at {}: the "
                    "entries between are missing (a deleted segment or a damaged snapshot). {}",
                    wal_dir, log.front().index, snapshot.index, corruption_advice())});
  }
  out.entries = std::move(log);
  return out;
}

}  // namespace regent::storage
