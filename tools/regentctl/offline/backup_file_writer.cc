#include "offline/backup_file_writer.h"

#include <filesystem>

#include "storage/file_names.h"
#include "storage/posix_fs.h"

namespace regent::ctl {

BackupFileWriter::BackupFileWriter(std::string path, std::unique_ptr<storage::PosixFs> fs,
                                   std::unique_ptr<storage::File> file)
    : path_(std::move(path)),
      tmp_(path_ + std::string(storage::kTmpSuffix)),
      fs_(std::move(fs)),
      file_(std::move(file)) {}

Expected<std::unique_ptr<BackupFileWriter>, std::string> BackupFileWriter::create(
    std::string path) {
  auto fs = std::make_unique<storage::PosixFs>();
  auto file = fs->open(path + std::string(storage::kTmpSuffix), storage::OpenMode::kCreate);
  if (!file) return unexpected(file.error().message());
  return std::unique_ptr<BackupFileWriter>(
      new BackupFileWriter(std::move(path), std::move(fs), std::move(*file)));
}

BackupFileWriter::~BackupFileWriter() {
  file_.reset();
  if (!committed_) (void)fs_->remove(tmp_);
}

Expected<void, std::string> BackupFileWriter::append(std::string_view bytes) {
  if (auto w = file_->write_at(written_, bytes); !w) return unexpected(w.error().message());
  written_ += bytes.size();
  return {};
}

Expected<void, std::string> BackupFileWriter::commit() {
  if (auto s = file_->sync(); !s) return unexpected(s.error().message());
  if (auto r = fs_->rename(tmp_, path_); !r) return unexpected(r.error().message());
  committed_ = true;
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  if (auto d = fs_->sync_dir(dir.empty() ? "." : dir); !d) return unexpected(d.error().message());
  return {};
}

}  // namespace regent::ctl
