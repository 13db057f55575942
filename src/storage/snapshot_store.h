// Snapshot files in one directory, named <term>-<index>.snap in hex (codec.h has the format).
// A file is written whole to a temporary name, synced, renamed, and the directory synced, so a
// visible name always holds a complete file; recovery still checks its checksum.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "raft/types.h"
#include "storage/failure.h"
#include "storage/fs.h"

namespace regent::storage {

class SnapshotStore {
 public:
  SnapshotStore(Fs& fs, std::string dir, Logger& logger);

  // Creates the directory, removes unfinished temporary files, and lists the snapshots.
  Expected<void, Failure> open();

  // Writes the snapshot durably. Returns the number of syncs it took.
  Expected<void, Failure> save(const raft::Snapshot& snapshot);
  // save() in two steps: the file alone (any thread; it touches no member of this class), then
  // its registration among the files held (the owner thread). remove_unregistered() deletes a
  // file written but never registered.
  IoStatus write_file(const raft::Snapshot& snapshot) const;
  void register_file(const raft::SnapshotMetadata& metadata);
  void remove_unregistered(const raft::SnapshotMetadata& metadata) const;

  // The newest snapshot at or before max_index whose file is intact. Files beyond max_index were
  // never vouched for by the log (a crash came between file and mark) and are deleted; damaged
  // files are skipped with a warning in warnings. nullopt if none qualifies.
  Expected<std::optional<raft::Snapshot>, Failure> load_newest(raft::Index max_index,
                                                               std::vector<std::string>& warnings);

  // The file of the snapshot `metadata` describes, decoded and checked. Any thread.
  Expected<raft::Snapshot, Failure> read(const raft::SnapshotMetadata& metadata) const;

  // Deletes all but the newest keep files; returns the index of the oldest one kept (0 if none).
  // `later`: the files are forgotten now and their paths appended, for the caller to remove off
  // this thread (remove_files()); null: removed here.
  Expected<raft::Index, Failure> remove_old(size_t keep, std::vector<std::string>* later = nullptr);

  size_t count() const { return files_.size(); }
  uint64_t syncs() const { return syncs_; }

 private:
  struct FileInfo {
    raft::Term term = 0;
    raft::Index index = 0;
    std::string name;
  };

  Failure io_failure(const IoError& e) const;
  Expected<void, Failure> remove(const FileInfo& f);

  Fs& fs_;
  std::string dir_;
  Logger& logger_;
  std::vector<FileInfo> files_;  // Oldest (lowest index) first.
  uint64_t syncs_ = 0;
};

std::string snapshot_name(raft::Term term, raft::Index index);

}  // namespace regent::storage
