// The file system as storage/ sees it: the few operations a write-ahead log and snapshot files
// need, behind an interface so that the same code runs over the real disk (PosixFs) and over the
// simulator's disk (sim/sim_fs.h), which loses unsynced writes when a node crashes.
//
// Durability contract, which PosixFs inherits from POSIX and SimFs enforces:
//  - File::write_at() lands in a volatile cache; only File::sync() makes a file's data durable.
//  - Creating, renaming or removing a name is durable only after sync_dir() of its directory.
//  - A crash may keep any subset of the unsynced 512-byte sectors of a file (torn writes); bytes
//    that were never written read as zeros (allocate() fills with zeros).
// Errors are values (IoError); storage/ decides what is fatal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace regent::storage {

struct IoError {
  std::string op;      // "write", "fdatasync", "rename", ...
  std::string path;    // The file or directory it was applied to.
  int code = 0;        // errno (ENOSPC, EIO, EWOULDBLOCK, ...).
  std::string detail;  // Extra words, such as which process holds a lock.

  // "fdatasync /data/member/wal/0001.wal: Input/output error"
  std::string message() const;
};

template <class T>
using IoResult = Expected<T, IoError>;
using IoStatus = Expected<void, IoError>;

// The written part of a file: its bytes up to a point after which the whole file is known to
// read as zeros (never written since it was allocated or extended), so a reader that looks for
// the end of what was written need not read, nor scan, the rest.
struct WrittenPart {
  std::string bytes;  // The file's first bytes.size() bytes.
  uint64_t size = 0;  // The file's size; bytes [bytes.size(), size) read as zeros.
};

// An open file. Not thread-safe; the owner serializes calls.
class File {
 public:
  virtual ~File() = default;

  // Writes all of data at offset (extending the file if needed), or fails.
  virtual IoStatus write_at(uint64_t offset, std::string_view data) = 0;
  // Makes the file's data durable (fdatasync).
  virtual IoStatus sync() = 0;
  // Sets the size; bytes beyond the old size read as zeros.
  virtual IoStatus truncate(uint64_t size) = 0;
  // Reserves space up to size (no-op if already that large), so that later writes inside it do
  // not run out of disk; the reserved bytes read as zeros and count in size().
  virtual IoStatus allocate(uint64_t size) = 0;
  virtual IoResult<uint64_t> size() = 0;
  // Hints for writing a large file without one burst at sync(), which would hold up every other
  // sync on the disk meanwhile (the log's among them): start the range's writeback now; wait
  // until the range's writeback is done. Neither makes anything durable (sync() does, and
  // reports any write error), so a file system may ignore both.
  virtual void start_writeback(uint64_t /*offset*/, uint64_t /*length*/) {}
  virtual void wait_writeback(uint64_t /*offset*/, uint64_t /*length*/) {}
};

// Held while alive: the process's exclusive claim on a data directory.
class DirLock {
 public:
  virtual ~DirLock() = default;
};

enum class OpenMode {
  kExisting,  // Open a file that must exist, for reading and writing.
  kCreate,    // Create an empty file, replacing any file of that name.
};

class Fs {
 public:
  virtual ~Fs() = default;

  virtual IoResult<std::unique_ptr<File>> open(const std::string& path, OpenMode mode) = 0;
  virtual IoResult<std::string> read_file(const std::string& path) = 0;
  // The written part of the file (WrittenPart). This default reads the whole file, so every
  // byte counts as written; an Fs that knows where a file holds data may read less.
  virtual IoResult<WrittenPart> read_written_part(const std::string& path);
  // The names (not paths) of the entries of dir, sorted.
  virtual IoResult<std::vector<std::string>> list(const std::string& dir) = 0;
  virtual IoResult<bool> exists(const std::string& path) = 0;
  // Creates dir and its missing parents, durably (each new directory's parent is synced).
  virtual IoStatus create_dirs(const std::string& dir) = 0;
  // Atomically replaces to with from.
  virtual IoStatus rename(const std::string& from, const std::string& to) = 0;
  virtual IoStatus remove(const std::string& path) = 0;
  virtual IoStatus sync_dir(const std::string& dir) = 0;
  // Takes an exclusive lock on the file at path (creating it) for as long as the result lives.
  // Fails at once with code EWOULDBLOCK if another holder has it; detail then names the holder.
  virtual IoResult<std::unique_ptr<DirLock>> lock(const std::string& path) = 0;
};

// Replaces dir/name with bytes so that a crash leaves the old file or the new one, whole: written
// to name + ".tmp", synced, renamed over name, then the directory synced (two syncs). A large file
// is written in steps of kWritebackStep, each step's writeback started as it is written and
// waited for one step later, so that the disk never has more than two steps to write at once.
// Small, because a member's log fdatasync queues behind whatever is in flight on the same disk:
// at 8 MiB a snapshot of 170 MB held puts off for 122 ms (median of three), at 1 MiB for 78 ms
// (BENCHMARKS.md, "Snapshot stall and memory at 1,000,000 keys").
inline constexpr uint64_t kWritebackStep = 1 << 20;
IoStatus write_file_atomically(Fs& fs, const std::string& dir, const std::string& name,
                               std::string_view bytes);

// "dir/name", without doubling a slash.
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace regent::storage
