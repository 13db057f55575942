// The simulator's disk: an in-memory storage::Fs that enforces the durability contract of
// storage/fs.h, so that the real storage code runs in simulated worlds and a crash loses exactly
// what a power loss may lose.
//
// The model:
//  - A file (an inode) has two images: `current`, what reads see, and `durable`, what survives a
//    crash. write_at(), truncate() and allocate() change current; File::sync() makes the inode's
//    current image durable (its data and its size together).
//  - An image is stored content plus a logical size; bytes past the stored content read as zeros.
//    allocate(64 MiB) therefore costs no memory, and neither does the untouched tail of a
//    preallocated segment. (A write far past the stored content does store the zeros before it:
//    fine for logs, which write in order.)
//  - A directory maps names to inodes, with a current and a durable listing. open(kCreate),
//    rename(), remove() and lock() (which creates its file) change current; sync_dir() makes the
//    directory's listing durable.
//  - Simplifications: directories themselves (create_dirs) are always durable; a rename across
//    two directories is two independent listing changes (after a crash the file may appear under
//    both names, or neither); "a/b" and "/a/b" name the same file (no working directory); ".."
//    is not supported.
//  - crash(prng, torn_percent), a power loss: every directory listing reverts to durable, except
//    that with torn_percent chance per directory the current listing is kept (the unsynced name
//    operations happened to reach the disk). Every file's content reverts to durable, except that
//    with torn_percent chance per file each 512-byte sector whose current content differs from
//    durable independently keeps its current content with probability 1/2 (a torn write: any
//    subset of sectors). Open File handles die (every call returns EIO, detail "crashed"); locks
//    are released.
//  - Faults on demand: fail_next() makes the next call of one operation fail with a chosen errno,
//    changing nothing (so a test can show that a failed write or sync stops the member).
//  - Damage at rest: overwrite_synced() changes bytes of a file that was synced, in both images,
//    as a disk that lost a sector (zeros) or flipped bits would: data the storage code had every
//    right to trust.
//
// Deterministic: no clocks and no ambient randomness; crash() draws from the caller's Prng, in an
// order fixed by the paths, so a seed replays a run exactly. Handles share the disk's state, so
// they may outlive the SimFs (their calls then fail as after a crash). Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/prng.h"
#include "storage/fs.h"

namespace regent::sim {

// The operations fail_next() can make fail.
enum class FsOp {
  kOpen,      // Fs::open, either mode.
  kWrite,     // File::write_at.
  kSync,      // File::sync.
  kTruncate,  // File::truncate.
  kAllocate,  // File::allocate.
  kRename,    // Fs::rename.
  kRemove,    // Fs::remove.
  kSyncDir,   // Fs::sync_dir.
};

struct SimFsStats {
  uint64_t file_syncs = 0;     // File::sync() calls that succeeded.
  uint64_t dir_syncs = 0;      // sync_dir() calls that succeeded.
  uint64_t bytes_written = 0;  // By write_at().
  uint64_t crashes = 0;
  // Calls on handles opened before a crash (all failed): a crashed process's destructors should
  // make none.
  uint64_t stale_handle_calls = 0;
};

struct SimFsState;  // The disk's contents, shared with the handles it gave out.

class SimFs final : public storage::Fs {
 public:
  SimFs();
  ~SimFs() override;
  SimFs(const SimFs&) = delete;
  SimFs& operator=(const SimFs&) = delete;

  storage::IoResult<std::unique_ptr<storage::File>> open(const std::string& path,
                                                         storage::OpenMode mode) override;
  storage::IoResult<std::string> read_file(const std::string& path) override;
  storage::IoResult<std::vector<std::string>> list(const std::string& dir) override;
  storage::IoResult<bool> exists(const std::string& path) override;
  storage::IoStatus create_dirs(const std::string& dir) override;
  storage::IoStatus rename(const std::string& from, const std::string& to) override;
  storage::IoStatus remove(const std::string& path) override;
  storage::IoStatus sync_dir(const std::string& dir) override;
  storage::IoResult<std::unique_ptr<storage::DirLock>> lock(const std::string& path) override;

  // A power loss; see the model above.
  void crash(Prng& prng, uint32_t torn_percent);

  // The next call of op fails with code (ENOSPC, EIO, ...) and changes nothing. One pending
  // fault per op; a second call for the same op replaces the first.
  void fail_next(FsOp op, int code);

  // Replaces bytes [offset, offset + bytes.size()) of the file at path, which must exist, have no
  // unsynced changes and cover that range: the damage is to synced data and survives anything.
  void overwrite_synced(const std::string& path, uint64_t offset, std::string_view bytes);

  const SimFsStats& stats() const;
  // Bytes of file content held in memory, both images of every file reachable from a listing:
  // shows that allocate() and preallocated segments cost nothing.
  uint64_t stored_bytes() const;

 private:
  std::shared_ptr<SimFsState> state_;
};

}  // namespace regent::sim
