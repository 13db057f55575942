#include "storage/disk_storage.h"

#include <fmt/format.h>

#include <cerrno>

#include "storage/codec.h"
#include "storage/record.h"
#include "storage/replay.h"
#include "storage/snapshot_store.h"
#include "storage/wal.h"

namespace regent::storage {

namespace {

Failure invalid(std::string message) { return Failure{FailureKind::kInvalid, std::move(message)}; }

}  // namespace

DiskStorage::DiskStorage(Fs& fs, std::string dir, const Options& options, Logger& logger)
    : fs_(fs), dir_(std::move(dir)), options_(options), logger_(logger) {}

DiskStorage::~DiskStorage() = default;

Expected<std::unique_ptr<DiskStorage>, Failure> DiskStorage::open(Fs& fs, std::string dir,
                                                                  const Options& options,
                                                                  Logger& logger) {
  if (options.keep_snapshots < 2) {
    return unexpected(invalid(fmt::format(
        "storage: keep_snapshots is {}; at least 2 are kept, so that a damaged newest snapshot "
        "has an older one to fall back on",
        options.keep_snapshots)));
  }
  std::unique_ptr<DiskStorage> storage(new DiskStorage(fs, std::move(dir), options, logger));
  auto recovered = storage->recover();
  if (!recovered) return unexpected(recovered.error());
  return storage;
}

Expected<void, Failure> DiskStorage::fail(Failure f) {
  if (f.kind == FailureKind::kIo && !failure_) failure_ = f;
  return unexpected(std::move(f));
}

Expected<void, Failure> DiskStorage::lock_dir() {
  const std::string lock_path = join_path(dir_, "LOCK");
  if (auto made = fs_.create_dirs(dir_); !made) {
    return unexpected(
        Failure{FailureKind::kIo, fmt::format("storage: {}", made.error().message())});
  }
  auto lock = fs_.lock(lock_path);
  if (!lock) {
    const IoError& e = lock.error();
    if (e.code == EWOULDBLOCK) {
      return unexpected(Failure{
          FailureKind::kLocked,
          fmt::format("storage: data directory {} is locked by another process ({}): is another "
                      "regentd running on it? One directory serves one member at a time.",
                      dir_, e.detail.empty() ? "holder unknown" : e.detail)});
    }
    return unexpected(Failure{FailureKind::kIo, fmt::format("storage: {}", e.message())});
  }
  lock_ = std::move(*lock);
  return {};
}

Expected<void, Failure> DiskStorage::recover() {
  if (auto locked = lock_dir(); !locked) return locked;
  const std::string wal_dir = join_path(dir_, "wal");
  auto wal =
      Wal::open(fs_, wal_dir, WalOptions{options_.segment_bytes, options_.preallocate}, logger_);
  if (!wal) return unexpected(wal.error());
  wal_ = std::move(*wal);
  snapshots_ = std::make_unique<SnapshotStore>(fs_, join_path(dir_, "snap"), logger_);
  if (auto opened = snapshots_->open(); !opened) return opened;

  // Only snapshots the log vouches for count; with no log, none does.
  auto newest_mark = find_newest_mark(wal_->recovered(), wal_dir);
  if (!newest_mark) return unexpected(newest_mark.error());
  auto snapshot = snapshots_->load_newest(newest_mark->index, recovery_.warnings);
  if (!snapshot) return unexpected(snapshot.error());
  if (newest_mark->index > 0 && !*snapshot) {
    return unexpected(Failure{
        FailureKind::kCorrupt,
        fmt::format("storage: the log in {} relies on the snapshot at index {} (term {}), but no "
                    "intact snapshot file at or before it is in {}. {}",
                    wal_dir, newest_mark->index, newest_mark->term, join_path(dir_, "snap"),
                    corruption_advice())});
  }
  if (wal_->was_fresh()) {
    recovery_.fresh = true;
    auto created = wal_->create_first(SegmentPreamble{.first_index = 1});
    if (!created) return created;
    return {};
  }

  const raft::SnapshotMetadata meta = *snapshot ? (*snapshot)->metadata : raft::SnapshotMetadata{};
  auto replayed = replay(wal_->recovered(), meta, wal_dir);
  if (!replayed) return unexpected(replayed.error());
  raft::HardState hs = replayed->hard_state;
  // A crash between a leader's snapshot and the hard state logged after it leaves the hard state
  // behind the snapshot; the snapshot is committed, so catching up is safe.
  if (hs.term < meta.term) hs = raft::HardState{.term = meta.term, .vote = raft::kNone};
  hs.commit = std::max(hs.commit, meta.index);
  const raft::Index last = replayed->entries.empty() ? meta.index : replayed->entries.back().index;
  if (hs.commit > last) {
    // Entries this member synced, and may have acknowledged, are gone. Not refused: the Raft
    // core sees the commit past its log, votes no more until a leader has brought it back past
    // that commit (raft.h, "Lost log"), and the member serves no reads meanwhile.
    recovery_.warnings.push_back(
        fmt::format("storage: the hard state in {} says entries up to {} are committed, but the "
                    "log ends at {}: entries this member had synced are missing; it will not "
                    "vote or serve reads until it has caught up from the leader",
                    wal_dir, hs.commit, last));
    logger_.warn("{}", recovery_.warnings.back());
  }
  // A crash after the first segment was created but before anything was saved in it leaves a
  // log with nothing: still a fresh member, which the host must bootstrap.
  recovery_.fresh = meta.index == 0 && replayed->entries.empty() && hs.empty();
  if (*snapshot) {
    recovered_ = std::move(**snapshot);
    cache_.apply_snapshot(raft::Snapshot{.metadata = recovered_.metadata});
  }
  cache_.append(std::move(replayed->entries));
  cache_.set_hard_state(hs);
  newest_mark_ = *newest_mark;
  written_hs_ = hs;

  recovery_.snapshot_index = meta.index;
  recovery_.snapshot_term = meta.term;
  recovery_.first_index = cache_.first_index();
  recovery_.last_index = cache_.last_index();
  recovery_.hard_state = hs;
  recovery_.segments = wal_->segment_count();
  recovery_.records = wal_->recovered().size();
  recovery_.torn_tail = wal_->torn_tail();
  wal_->release_recovered();
  logger_.info(
      "storage: recovered {}: snapshot at {} (term {}), entries {}..{}, term {}, commit "
      "{}, {} segments",
      dir_, meta.index, meta.term, recovery_.first_index, recovery_.last_index, hs.term, hs.commit,
      recovery_.segments);
  return {};
}

SegmentPreamble DiskStorage::preamble(raft::Index first_index) const {
  return SegmentPreamble{
      .first_index = first_index, .hard_state = written_hs_, .newest_mark = newest_mark_};
}

Expected<void, Failure> DiskStorage::write(const std::vector<raft::Entry>& entries,
                                           const std::optional<raft::HardState>& hard_state,
                                           const std::optional<raft::Snapshot>& snapshot) {
  if (failure_) return unexpected(*failure_);
  std::string batch;
  Pending pending;
  std::optional<SnapshotMark> mark;
  if (snapshot && !snapshot->empty()) {
    if (snapshot->metadata.index <= newest_mark_.index) {
      return unexpected(
          invalid(fmt::format("storage: snapshot at {} is not newer than the one held at {}",
                              snapshot->metadata.index, newest_mark_.index)));
    }
    // The file first: a mark in the log must never point at a snapshot that is not there.
    if (auto saved = snapshots_->save(*snapshot); !saved) return fail(saved.error());
    mark = SnapshotMark{snapshot->metadata.index, snapshot->metadata.term, true};
    append_record(batch, RecordType::kSnapshotMark, encode_snapshot_mark(*mark));
    pending.snapshot = raft::Snapshot{.metadata = snapshot->metadata};  // The image is in its file.
  }
  raft::Index max_index = 0;
  std::string payload;
  for (const raft::Entry& e : entries) {
    payload.clear();
    encode_entry_to(payload, e);
    append_record(batch, RecordType::kEntry, payload);
    max_index = std::max(max_index, e.index);
  }
  if (hard_state) append_record(batch, RecordType::kHardState, encode_hard_state(*hard_state));
  if (batch.empty()) return {};

  const raft::Index first_index = !entries.empty() ? entries.front().index : next_index();
  if (auto written = wal_->write(batch, max_index, preamble(first_index)); !written) {
    return fail(written.error());
  }
  if (mark) newest_mark_ = *mark;
  if (hard_state) written_hs_ = *hard_state;
  if (!entries.empty()) written_last_ = entries.back().index;
  if (mark && entries.empty()) written_last_ = mark->index;
  pending.entries = entries;
  pending.hard_state = hard_state;
  pending_.push_back(std::move(pending));
  ++batches_;
  bytes_written_ += batch.size();
  return {};
}

raft::Index DiskStorage::next_index() const {
  return (pending_.empty() ? cache_.last_index() : written_last_) + 1;
}

Expected<void, Failure> DiskStorage::sync() {
  return finish_sync(wal_->unsynced() ? wal_->sync_file() : IoStatus{});
}

Expected<void, Failure> DiskStorage::finish_sync(const IoStatus& synced) {
  if (failure_) return unexpected(*failure_);
  if (wal_->unsynced()) {
    if (auto done = wal_->finish_sync(synced); !done) return fail(done.error());
  }
  bool installed = false;
  for (Pending& p : pending_) {
    if (p.snapshot) {
      cache_.apply_snapshot(*p.snapshot);
      installed = true;
    }
    if (!p.entries.empty()) cache_.append(p.entries);
    if (p.hard_state) cache_.set_hard_state(*p.hard_state);
  }
  pending_.clear();
  return installed ? purge() : Expected<void, Failure>();
}

Expected<void, Failure> DiskStorage::save(const std::vector<raft::Entry>& entries,
                                          const std::optional<raft::HardState>& hard_state,
                                          const std::optional<raft::Snapshot>& snapshot) {
  if (auto written = write(entries, hard_state, snapshot); !written) return written;
  return sync();
}

Expected<void, Failure> DiskStorage::create_snapshot(raft::Index index,
                                                     const raft::ConfState& conf_state,
                                                     std::string data) {
  auto metadata = snapshot_metadata(index, conf_state);
  if (!metadata) return unexpected(metadata.error());
  raft::Snapshot snapshot{.data = std::move(data), .metadata = std::move(*metadata)};
  if (auto saved = write_snapshot_file(snapshot); !saved) return fail(saved.error());
  auto committed = commit_snapshot(snapshot.metadata);
  remove_files(take_files_to_remove());
  return committed;
}

Expected<raft::SnapshotMetadata, Failure> DiskStorage::snapshot_metadata(
    raft::Index index, const raft::ConfState& conf_state) const {
  if (failure_) return unexpected(*failure_);
  const raft::Index held = cache_.snapshot_metadata().index;
  if (index <= held || index > cache_.last_index()) {
    return unexpected(invalid(fmt::format(
        "storage: cannot snapshot at index {}: it must be after the current snapshot ({}) and "
        "at most the last durable entry ({})",
        index, held, cache_.last_index())));
  }
  return raft::SnapshotMetadata{
      .conf_state = conf_state, .index = index, .term = cache_.term(index).value()};
}

Expected<void, Failure> DiskStorage::write_snapshot_file(const raft::Snapshot& snapshot) const {
  auto written = snapshots_->write_file(snapshot);
  if (written) return {};
  // Not the log: what the member acknowledged is safe, and the next snapshot tries again. The
  // callers that cannot go on without the file (create_snapshot) stop all the same.
  return unexpected(Failure{
      FailureKind::kIo,
      fmt::format("snapshot file for index {} not written: {}; the member goes on with its log "
                  "and tries again at the next snapshot (free space if the disk is full)",
                  snapshot.metadata.index, written.error().message())});
}

void DiskStorage::discard_snapshot_file(const raft::SnapshotMetadata& metadata) const {
  snapshots_->remove_unregistered(metadata);
}

Expected<void, Failure> DiskStorage::commit_snapshot(const raft::SnapshotMetadata& metadata) {
  if (failure_) return unexpected(*failure_);
  if (!pending_.empty()) {
    return unexpected(invalid("storage: create_snapshot with unsynced writes; sync() first"));
  }
  const raft::Index index = metadata.index;
  const raft::Term term = metadata.term;
  // Step 1's checks again: the log may have moved on while the file was written.
  auto still = snapshot_metadata(index, metadata.conf_state);
  if (!still || still->term != term) {
    discard_snapshot_file(metadata);
    return unexpected(still ? invalid(fmt::format("storage: the entry at {} changed term ({} -> "
                                                  "{}) while its snapshot was written",
                                                  index, term, still->term))
                            : still.error());
  }
  snapshots_->register_file(metadata);
  const SnapshotMark mark{index, term, false};
  std::string batch;
  append_record(batch, RecordType::kSnapshotMark, encode_snapshot_mark(mark));
  if (auto written = wal_->write(batch, 0, preamble(next_index())); !written) {
    return fail(written.error());
  }
  if (auto synced = wal_->sync(); !synced) return fail(synced.error());
  newest_mark_ = mark;
  cache_.create_snapshot(index, &metadata.conf_state, "");  // The image is in its file.
  // Keep a tail of entries before the snapshot for followers that are only a little behind.
  if (index > options_.catch_up_entries) {
    const raft::Index compact_to = index - options_.catch_up_entries;
    if (compact_to >= cache_.first_index()) cache_.compact(compact_to);
  }
  return purge(&files_to_remove_);
}

Expected<void, Failure> DiskStorage::drop_history() {
  if (failure_) return unexpected(*failure_);
  if (!pending_.empty()) {
    return unexpected(invalid("storage: drop_history with unsynced writes; sync() first"));
  }
  if (auto rolled = wal_->start_segment(preamble(next_index())); !rolled) {
    return fail(rolled.error());
  }
  auto kept = snapshots_->remove_old(1, &files_to_remove_);
  if (!kept) return fail(kept.error());
  if (auto removed = wal_->remove_before(newest_mark_.index, &files_to_remove_); !removed) {
    return fail(removed.error());
  }
  return {};
}

Expected<void, Failure> DiskStorage::purge(std::vector<std::string>* later) {
  auto oldest_kept = snapshots_->remove_old(options_.keep_snapshots, later);
  if (!oldest_kept) return fail(oldest_kept.error());
  if (*oldest_kept > 0) {
    if (auto removed = wal_->remove_before(*oldest_kept, later); !removed) {
      return fail(removed.error());
    }
  }
  return {};
}

void DiskStorage::remove_files(const std::vector<std::string>& paths) const {
  for (const std::string& path : paths) {
    if (auto r = fs_.remove(path); !r) {
      logger_.warn("storage: cannot remove {}, which the log no longer needs: {}", path,
                   r.error().message());
    } else {
      logger_.info("storage: removed {} (the log no longer needs it)", path);
    }
  }
}

Stats DiskStorage::stats() const {
  return Stats{.batches = batches_,
               .wal_syncs = wal_->wal_syncs(),
               .other_syncs = wal_->other_syncs() + snapshots_->syncs(),
               .bytes_written = bytes_written_,
               .segments_created = wal_->segments_created(),
               .segments_removed = wal_->segments_removed()};
}

uint64_t DiskStorage::reserved_bytes() const { return wal_ ? wal_->reserved_bytes() : 0; }

std::pair<raft::HardState, raft::ConfState> DiskStorage::initial_state() const {
  return cache_.initial_state();
}

Expected<std::vector<raft::Entry>, raft::StorageError> DiskStorage::entries(
    raft::Index lo, raft::Index hi, uint64_t max_bytes) const {
  return cache_.entries(lo, hi, max_bytes);
}

Expected<raft::Term, raft::StorageError> DiskStorage::term(raft::Index i) const {
  return cache_.term(i);
}

raft::Index DiskStorage::first_index() const { return cache_.first_index(); }
raft::Index DiskStorage::last_index() const { return cache_.last_index(); }

Expected<raft::Snapshot, raft::StorageError> DiskStorage::snapshot() const {
  return cache_.snapshot();
}

Expected<raft::Snapshot, Failure> DiskStorage::read_snapshot(
    const raft::SnapshotMetadata& metadata) const {
  return snapshots_->read(metadata);
}

Expected<raft::Snapshot, Failure> DiskStorage::take_snapshot() {
  const raft::SnapshotMetadata& held = cache_.snapshot_metadata();
  raft::Snapshot recovered = std::exchange(recovered_, raft::Snapshot{});
  if (held.index > 0 && recovered.metadata.index == held.index &&
      recovered.metadata.term == held.term) {
    return recovered;
  }
  if (held.index == 0) return unexpected(invalid("storage: no snapshot is held"));
  return read_snapshot(held);
}

}  // namespace regent::storage
