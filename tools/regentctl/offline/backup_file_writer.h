// A backup file written as it streams in (`snapshot save`), with storage's own file primitives:
// into <path>.tmp, synced, renamed to <path>, the directory synced, as write_file_atomically()
// does for a file held whole. A file named <path> is therefore always a whole backup; one given
// up (or a writer destroyed before commit()) leaves only its temporary file removed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace regent::storage {
class File;
class PosixFs;
}  // namespace regent::storage

namespace regent::ctl {

class BackupFileWriter {
 public:
  static Expected<std::unique_ptr<BackupFileWriter>, std::string> create(std::string path);
  ~BackupFileWriter();
  BackupFileWriter(const BackupFileWriter&) = delete;
  BackupFileWriter& operator=(const BackupFileWriter&) = delete;

  Expected<void, std::string> append(std::string_view bytes);
  // Sync, rename, directory sync. Nothing may be appended afterwards.
  Expected<void, std::string> commit();

 private:
  BackupFileWriter(std::string path, std::unique_ptr<storage::PosixFs> fs,
                   std::unique_ptr<storage::File> file);

  std::string path_;
  std::string tmp_;
  std::unique_ptr<storage::PosixFs> fs_;
  std::unique_ptr<storage::File> file_;
  uint64_t written_ = 0;
  bool committed_ = false;
};

}  // namespace regent::ctl
