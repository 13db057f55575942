#include "storage/posix_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string_view>
#include <utility>

#include "common/assert.h"

namespace regent::storage {
namespace {

IoError io_error(std::string op, const std::string& path, int code, std::string detail = {}) {
  return IoError{std::move(op), path, code, std::move(detail)};
}

// Unexpected IoError carrying errno, for the common "call failed" case. errno is read before
// anything else can allocate (and so touch errno).
Unexpected<IoError> errno_error(const char* op, const std::string& path) {
  const int code = errno;
  return unexpected(io_error(op, path, code));
}

// A file descriptor closed on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// open(2), retried on EINTR (possible on FUSE and NFS mounts, and while a signal arrives).
int open_retrying(const std::string& path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

IoStatus write_all(int fd, const std::string& path, uint64_t offset, std::string_view data) {
  // Each round writes at least one byte or fails, so the loop ends after data.size() rounds.
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("pwrite", path);
    }
    if (n == 0) {
      // POSIX allows it only for a zero-length request; never spin on it.
      return unexpected(io_error("pwrite", path, EIO, "wrote 0 bytes"));
    }
    REGENT_ASSERT(static_cast<size_t>(n) <= data.size(), "pwrite wrote {} of {} bytes", n,
                  data.size());
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return {};
}

IoResult<uint64_t> file_size(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return errno_error("fstat", path);
  REGENT_ASSERT(st.st_size >= 0, "fstat {}: negative size", path);
  return static_cast<uint64_t>(st.st_size);
}

// Reads from offset 0 until end of file or `limit` bytes, whichever comes first; `expected` is
// the size to reserve. pread, so that an lseek() before it does not matter.
IoResult<std::string> read_up_to(int fd, const std::string& path, uint64_t expected,
                                 uint64_t limit) {
  std::string out;
  out.reserve(std::min(expected, limit));
  char buf[64 * 1024];
  // Each round reads at least one byte or ends the loop, so it runs at most `limit` rounds.
  while (out.size() < limit) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof(buf), limit - out.size()));
    const ssize_t n = ::pread(fd, buf, want, static_cast<off_t>(out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("pread", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Where the file's data ends: the first hole if no data follows it, else the size. Holes are
// the file system's own account (SEEK_HOLE/SEEK_DATA, with unwritten fallocate()d extents and
// dirty cached pages taken into account), so a hole is never data that was written.
IoResult<uint64_t> data_end(int fd, const std::string& path, uint64_t size) {
  const off_t hole = ::lseek(fd, 0, SEEK_HOLE);
  if (hole < 0) {
    // EINVAL: the file system knows no SEEK_HOLE; ENXIO: the file is empty.
    if (errno == EINVAL || errno == ENXIO) return size;
    return errno_error("lseek SEEK_HOLE", path);
  }
  if (static_cast<uint64_t>(hole) >= size) return size;
  if (::lseek(fd, hole, SEEK_DATA) >= 0) return size;
  if (errno == ENXIO) return static_cast<uint64_t>(hole);  // No data after the hole.
  return errno_error("lseek SEEK_DATA", path);
}

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {
    REGENT_ASSERT(fd_ >= 0, "PosixFile over a closed descriptor");
  }
  ~PosixFile() override { ::close(fd_); }
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  IoStatus write_at(uint64_t offset, std::string_view data) override {
    return write_all(fd_, path_, offset, data);
  }

  IoStatus sync() override {
    // Not retried, even on EINTR: after a failed fdatasync the dirty pages may be gone.
    if (::fdatasync(fd_) != 0) return errno_error("fdatasync", path_);
    return {};
  }

  // Errors are left to sync(), which reports a failed writeback whatever started it.
  void start_writeback(uint64_t offset, uint64_t length) override {
    ::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length),
                      SYNC_FILE_RANGE_WRITE);
  }
  void wait_writeback(uint64_t offset, uint64_t length) override {
    ::sync_file_range(
        fd_, static_cast<off_t>(offset), static_cast<off_t>(length),
        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  }

  IoStatus truncate(uint64_t size) override {
    int rc;
    do {
      rc = ::ftruncate(fd_, static_cast<off_t>(size));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return errno_error("ftruncate", path_);
    return {};
  }

  IoStatus allocate(uint64_t size) override {
    auto current = file_size(fd_, path_);
    if (!current) return unexpected(current.error());
    if (*current >= size) return {};
    int rc;
    do {
      rc = ::fallocate(fd_, 0, static_cast<off_t>(*current), static_cast<off_t>(size - *current));
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) return {};
    if (errno != EOPNOTSUPP) return errno_error("fallocate", path_);
    // A file system without fallocate (tmpfs on old kernels, some FUSE mounts): extending the
    // size still makes the new bytes read as zeros, though it reserves no blocks.
    return truncate(size);
  }

  IoResult<uint64_t> size() override { return file_size(fd_, path_); }

 private:
  int fd_;
  std::string path_;
};

class PosixDirLock final : public DirLock {
 public:
  explicit PosixDirLock(int fd) : fd_(fd) {}
  ~PosixDirLock() override { ::close(fd_); }  // Releases the flock.
  PosixDirLock(const PosixDirLock&) = delete;
  PosixDirLock& operator=(const PosixDirLock&) = delete;

 private:
  int fd_;
};

// The pid a lock holder wrote into its lock file, for the error message.
std::string lock_holder(int fd) {
  char buf[64];
  ssize_t n;
  do {
    n = ::pread(fd, buf, sizeof(buf), 0);
  } while (n < 0 && errno == EINTR);
  std::string_view text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const bool is_pid = !text.empty() && std::all_of(text.begin(), text.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  // The holder writes its pid just after taking the lock, so it may not be there yet.
  return is_pid ? "held by pid " + std::string(text) : "held by another process";
}

}  // namespace

IoResult<std::unique_ptr<File>> PosixFs::open(const std::string& path, OpenMode mode) {
  int flags = O_RDWR | O_CLOEXEC;
  if (mode == OpenMode::kCreate) flags |= O_CREAT | O_TRUNC;
  const int fd = open_retrying(path, flags, 0644);
  if (fd < 0) return errno_error("open", path);
  return std::unique_ptr<File>(std::make_unique<PosixFile>(fd, path));
}

IoResult<std::string> PosixFs::read_file(const std::string& path) {
  Fd fd(open_retrying(path, O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error("open", path);
  auto size = file_size(fd.get(), path);
  if (!size) return unexpected(size.error());
  // The size is a hint only: read until end of file, whatever it is by then.
  return read_up_to(fd.get(), path, *size, UINT64_MAX);
}

IoResult<WrittenPart> PosixFs::read_written_part(const std::string& path) {
  Fd fd(open_retrying(path, O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error("open", path);
  auto size = file_size(fd.get(), path);
  if (!size) return unexpected(size.error());
  auto end = data_end(fd.get(), path, *size);
  if (!end) return unexpected(end.error());
  auto bytes = read_up_to(fd.get(), path, *end, *end);
  if (!bytes) return unexpected(bytes.error());
  // A file that grew while being read (nothing writes a segment during recovery) counts whole.
  return WrittenPart{.bytes = std::move(*bytes), .size = std::max<uint64_t>(*size, *end)};
}

IoResult<std::vector<std::string>> PosixFs::list(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return errno_error("opendir", dir);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d);
    if (e == nullptr) break;
    const std::string_view name(e->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int read_errno = errno;
  ::closedir(d);
  if (read_errno != 0) return unexpected(io_error("readdir", dir, read_errno));
  std::sort(names.begin(), names.end());
  return names;
}

IoResult<bool> PosixFs::exists(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return errno_error("stat", path);
}

IoStatus PosixFs::create_dirs(const std::string& dir) {
  if (dir.empty()) return unexpected(io_error("mkdir", dir, ENOENT));
  // Every prefix ending before a '/', then the whole path; "a//b" and a trailing '/' are fine.
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos < dir.size() && dir[pos] != '/') continue;
    if (dir[pos - 1] == '/') continue;
    const std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) == 0) {
      // The new name is durable only once its parent is synced (fs.h promises it is).
      const size_t slash = prefix.find_last_of('/');
      const std::string parent = slash == std::string::npos ? "." : prefix.substr(0, slash + 1);
      if (auto synced = sync_dir(parent); !synced) return synced;
    } else if (errno != EEXIST) {
      return errno_error("mkdir", prefix);
    }
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return errno_error("stat", dir);
  if (!S_ISDIR(st.st_mode)) return unexpected(io_error("mkdir", dir, ENOTDIR));
  return {};
}

IoStatus PosixFs::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    const int code = errno;
    return unexpected(io_error("rename", from, code, "to " + to));
  }
  return {};
}

IoStatus PosixFs::remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return errno_error("unlink", path);
  return {};
}

IoStatus PosixFs::sync_dir(const std::string& dir) {
  Fd fd(open_retrying(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error("open", dir);
  if (::fsync(fd.get()) != 0) return errno_error("fsync", dir);
  return {};
}

IoResult<std::unique_ptr<DirLock>> PosixFs::lock(const std::string& path) {
  Fd fd(open_retrying(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) return errno_error("open", path);
  int rc;
  do {
    rc = ::flock(fd.get(), LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int code = errno;
    if (code == EWOULDBLOCK) {
      return unexpected(io_error("lock", path, code, lock_holder(fd.get())));
    }
    return unexpected(io_error("lock", path, code));
  }
  // Ours now: say who holds it, for the next process that tries.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0) return errno_error("ftruncate", path);
  if (auto w = write_all(fd.get(), path, 0, pid); !w) return unexpected(w.error());
  return std::unique_ptr<DirLock>(std::make_unique<PosixDirLock>(fd.release()));
}

}  // namespace regent::storage
