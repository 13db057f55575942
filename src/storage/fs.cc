#include "storage/fs.h"

#include <system_error>

#include "storage/file_names.h"

namespace regent::storage {

std::string IoError::message() const {
  // std::generic_category() is strerror's text without strerror's shared static buffer.
  std::string out = op;
  if (!path.empty()) out += " " + path;
  out += ": " + std::error_code(code, std::generic_category()).message();
  if (!detail.empty()) out += " (" + detail + ")";
  return out;
}

IoResult<WrittenPart> Fs::read_written_part(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return unexpected(bytes.error());
  const uint64_t size = bytes->size();
  return WrittenPart{.bytes = std::move(*bytes), .size = size};
}

IoStatus write_file_atomically(Fs& fs, const std::string& dir, const std::string& name,
                               std::string_view bytes) {
  const std::string path = join_path(dir, name);
  const std::string tmp = path + std::string(kTmpSuffix);
  auto opened = fs.open(tmp, OpenMode::kCreate);
  if (!opened) return unexpected(opened.error());
  File& file = **opened;
  // A file cut short by a full disk would hold the space it took until the next start.
  auto give_up = [&](IoStatus failed) {
    (void)fs.remove(tmp);
    return failed;
  };
  const bool stepped = bytes.size() > kWritebackStep;  // A small file: sync() alone.
  uint64_t offset = 0;
  do {
    const std::string_view step = bytes.substr(offset, kWritebackStep);
    if (auto w = file.write_at(offset, step); !w) return give_up(w);
    if (stepped) {
      file.start_writeback(offset, step.size());
      if (offset >= kWritebackStep) file.wait_writeback(offset - kWritebackStep, kWritebackStep);
    }
    offset += step.size();
  } while (offset < bytes.size());
  if (auto s = file.sync(); !s) return give_up(s);
  if (auto r = fs.rename(tmp, path); !r) return give_up(r);
  return fs.sync_dir(dir);
}

std::string join_path(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  if (name.empty()) return std::string(dir);
  std::string out(dir);
  const bool dir_slash = out.back() == '/';
  const bool name_slash = name.front() == '/';
  if (dir_slash && name_slash) {
    name.remove_prefix(1);
  } else if (!dir_slash && !name_slash) {
    out += '/';
  }
  out += name;
  return out;
}

}  // namespace regent::storage
