#include "storage/snapshot_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "storage/codec.h"
#include "storage/file_names.h"

namespace regent::storage {

namespace {

constexpr std::string_view kSuffix = ".snap";

}  // namespace

std::string snapshot_name(raft::Term term, raft::Index index) {
  return hex_pair_name(term, index, kSuffix);
}

SnapshotStore::SnapshotStore(Fs& fs, std::string dir, Logger& logger)
    : fs_(fs), dir_(std::move(dir)), logger_(logger) {}

Failure SnapshotStore::io_failure(const IoError& e) const {
  return Failure{FailureKind::kIo,
                 fmt::format("snapshot: {}. The disk failed a snapshot file, so the member "
                             "stops; once the disk is healthy (free space if it is full), start "
                             "it again: it recovers from what is on disk.",
                             e.message())};
}

Expected<void, Failure> SnapshotStore::open() {
  if (auto made = fs_.create_dirs(dir_); !made) return unexpected(io_failure(made.error()));
  auto names = fs_.list(dir_);
  if (!names) return unexpected(io_failure(names.error()));
  files_.clear();
  for (const std::string& name : *names) {
    const std::string path = join_path(dir_, name);
    if (name.ends_with(kTmpSuffix)) {
      logger_.info("snapshot: removing unfinished {}", path);
      if (auto r = fs_.remove(path); !r) return unexpected(io_failure(r.error()));
      continue;
    }
    auto numbers = parse_hex_pair_name(name, kSuffix);
    if (!numbers) {
      logger_.warn("snapshot: ignoring unexpected file {}", path);
      continue;
    }
    files_.push_back(FileInfo{numbers->first, numbers->second, name});
  }
  std::sort(files_.begin(), files_.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.index < b.index; });
  return {};
}

Expected<void, Failure> SnapshotStore::save(const raft::Snapshot& snapshot) {
  if (auto w = write_file(snapshot); !w) return unexpected(io_failure(w.error()));
  register_file(snapshot.metadata);
  return {};
}

IoStatus SnapshotStore::write_file(const raft::Snapshot& snapshot) const {
  const raft::SnapshotMetadata& m = snapshot.metadata;
  return write_file_atomically(fs_, dir_, snapshot_name(m.term, m.index),
                               encode_snapshot_file(snapshot));
}

void SnapshotStore::register_file(const raft::SnapshotMetadata& m) {
  const std::string name = snapshot_name(m.term, m.index);
  syncs_ += 2;
  std::erase_if(files_, [&](const FileInfo& f) { return f.name == name; });
  files_.push_back(FileInfo{m.term, m.index, name});
  std::sort(files_.begin(), files_.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.index < b.index; });
}

void SnapshotStore::remove_unregistered(const raft::SnapshotMetadata& m) const {
  const std::string name = snapshot_name(m.term, m.index);
  if (std::any_of(files_.begin(), files_.end(), [&](const FileInfo& f) { return f.name == name; }))
    return;  // Registered after all: it is the log's now.
  if (auto r = fs_.remove(join_path(dir_, name)); !r && r.error().code != ENOENT) {
    logger_.warn("snapshot: cannot remove the unused {}: {}", join_path(dir_, name),
                 r.error().message());
  }
}

Expected<void, Failure> SnapshotStore::remove(const FileInfo& f) {
  if (auto r = fs_.remove(join_path(dir_, f.name)); !r) return unexpected(io_failure(r.error()));
  return {};
}

Expected<raft::Snapshot, Failure> SnapshotStore::read(const raft::SnapshotMetadata& m) const {
  const std::string path = join_path(dir_, snapshot_name(m.term, m.index));
  auto bytes = fs_.read_file(path);
  if (!bytes) return unexpected(io_failure(bytes.error()));
  auto decoded = decode_snapshot_file(*bytes);
  if (!decoded) {
    return unexpected(
        Failure{.kind = FailureKind::kCorrupt,
                .message = fmt::format("snapshot: {} is damaged: {}", path, decoded.error().what)});
  }
  if (decoded->metadata.index != m.index || decoded->metadata.term != m.term) {
    return unexpected(
        Failure{.kind = FailureKind::kCorrupt,
                .message = fmt::format("snapshot: {} holds index {} term {}, not what its name "
                                       "says",
                                       path, decoded->metadata.index, decoded->metadata.term)});
  }
  return std::move(*decoded);
}

Expected<std::optional<raft::Snapshot>, Failure> SnapshotStore::load_newest(
    raft::Index max_index, std::vector<std::string>& warnings) {
  while (!files_.empty() && files_.back().index > max_index) {
    const FileInfo orphan = files_.back();
    files_.pop_back();
    warnings.push_back(fmt::format(
        "snapshot: removing {}: the log holds no mark for it (a crash came between writing it "
        "and logging it), so it was never in use",
        join_path(dir_, orphan.name)));
    logger_.warn("{}", warnings.back());
    auto removed = remove(orphan);
    if (!removed) return unexpected(removed.error());
  }
  for (auto it = files_.rbegin(); it != files_.rend(); ++it) {
    const std::string path = join_path(dir_, it->name);
    auto bytes = fs_.read_file(path);
    if (!bytes) return unexpected(io_failure(bytes.error()));
    auto decoded = decode_snapshot_file(*bytes);
    std::string problem;
    if (!decoded) {
      problem = decoded.error().what;
    } else if (decoded->metadata.index != it->index || decoded->metadata.term != it->term) {
      problem = fmt::format("it holds index {} term {}, not what its name says",
                            decoded->metadata.index, decoded->metadata.term);
    } else {
      return std::optional<raft::Snapshot>(std::move(*decoded));
    }
    warnings.push_back(
        fmt::format("snapshot: {} is damaged ({}); trying an older snapshot", path, problem));
    logger_.warn("{}", warnings.back());
  }
  return std::optional<raft::Snapshot>();
}

Expected<raft::Index, Failure> SnapshotStore::remove_old(size_t keep,
                                                         std::vector<std::string>* later) {
  while (files_.size() > keep) {
    if (later != nullptr) {
      later->push_back(join_path(dir_, files_.front().name));
      files_.erase(files_.begin());
      continue;
    }
    auto removed = remove(files_.front());
    if (!removed) return unexpected(removed.error());
    logger_.info("snapshot: removed {} ({} newer kept)", join_path(dir_, files_.front().name),
                 keep);
    files_.erase(files_.begin());
  }
  return files_.empty() ? raft::Index{0} : files_.front().index;
}

}  // namespace regent::storage
