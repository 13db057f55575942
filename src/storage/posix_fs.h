// Fs over the real disk, with POSIX calls (Linux: fdatasync, fallocate, flock).
//
// Every call reports failure as an IoError naming the system call, the path and errno; none
// retries anything but EINTR and short writes. In particular a failed sync() is never retried:
// after a failed fdatasync the kernel may have dropped the dirty pages, so a second call could
// succeed without the data being on disk (the "fsyncgate" lesson). The caller must stop.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/fs.h"

namespace regent::storage {

class PosixFs final : public Fs {
 public:
  // kExisting: O_RDWR; kCreate: O_RDWR | O_CREAT | O_TRUNC, mode 0644. Always O_CLOEXEC.
  IoResult<std::unique_ptr<File>> open(const std::string& path, OpenMode mode) override;
  IoResult<std::string> read_file(const std::string& path) override;
  // Reads up to the first hole after which the file holds no data (lseek SEEK_HOLE, then
  // SEEK_DATA from there): fallocate()d blocks never written, and sizes extended by ftruncate,
  // are holes that read as zeros. A file system that tracks no holes reports the whole file as
  // data, and a file with data after a hole (the later sectors of a torn write) is read whole.
  IoResult<WrittenPart> read_written_part(const std::string& path) override;
  IoResult<std::vector<std::string>> list(const std::string& dir) override;
  // False only for ENOENT; any other failure of stat() is an error.
  IoResult<bool> exists(const std::string& path) override;
  // mkdir -p with mode 0755; fails if the path exists but is not a directory.
  IoStatus create_dirs(const std::string& dir) override;
  IoStatus rename(const std::string& from, const std::string& to) override;
  IoStatus remove(const std::string& path) override;
  IoStatus sync_dir(const std::string& dir) override;
  // flock(LOCK_EX | LOCK_NB) on the file at path, which then holds the owner's pid and '\n'.
  // The lock belongs to the open file description: it is released when the DirLock is destroyed
  // or the process dies, and it is not inherited across exec (O_CLOEXEC).
  IoResult<std::unique_ptr<DirLock>> lock(const std::string& path) override;
};

}  // namespace regent::storage
