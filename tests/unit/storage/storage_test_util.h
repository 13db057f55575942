// Shared by the storage tests: a scratch directory, entry makers, a file system that fails on
// command, and byte surgery on files.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "raft/types.h"
#include "storage/fs.h"
#include "storage/posix_fs.h"

namespace regent::storage::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr ? base : "/tmp") + "/regent-storage-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed: " << templ;
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline raft::Entry entry(raft::Index index, raft::Term term, size_t bytes = 64) {
  std::string data(bytes, static_cast<char>('a' + index % 26));
  return raft::Entry{.term = term, .index = index, .data = std::move(data)};
}

inline std::vector<raft::Entry> entries(raft::Index from, raft::Index to, raft::Term term,
                                        size_t bytes = 64) {
  std::vector<raft::Entry> out;
  for (raft::Index i = from; i <= to; ++i) out.push_back(entry(i, term, bytes));
  return out;
}

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// PosixFs that fails the next write or sync of any file with the given errno, once armed.
class FailingFs final : public Fs {
 public:
  int fail_writes_with = 0;
  int fail_syncs_with = 0;

  IoResult<std::unique_ptr<File>> open(const std::string& path, OpenMode mode) override {
    auto f = real_.open(path, mode);
    if (!f) return unexpected(f.error());
    return std::unique_ptr<File>(new FailingFile(*this, path, std::move(*f)));
  }
  IoResult<std::string> read_file(const std::string& p) override { return real_.read_file(p); }
  IoResult<std::vector<std::string>> list(const std::string& d) override { return real_.list(d); }
  IoResult<bool> exists(const std::string& p) override { return real_.exists(p); }
  IoStatus create_dirs(const std::string& d) override { return real_.create_dirs(d); }
  IoStatus rename(const std::string& a, const std::string& b) override {
    return real_.rename(a, b);
  }
  IoStatus remove(const std::string& p) override { return real_.remove(p); }
  IoStatus sync_dir(const std::string& d) override { return real_.sync_dir(d); }
  IoResult<std::unique_ptr<DirLock>> lock(const std::string& p) override { return real_.lock(p); }

 private:
  class FailingFile final : public File {
   public:
    FailingFile(FailingFs& fs, std::string path, std::unique_ptr<File> real)
        : fs_(fs), path_(std::move(path)), real_(std::move(real)) {}
    IoStatus write_at(uint64_t offset, std::string_view data) override {
      if (fs_.fail_writes_with != 0)
        return unexpected(IoError{"write", path_, fs_.fail_writes_with});
      return real_->write_at(offset, data);
    }
    IoStatus sync() override {
      if (fs_.fail_syncs_with != 0)
        return unexpected(IoError{"fdatasync", path_, fs_.fail_syncs_with});
      return real_->sync();
    }
    IoStatus truncate(uint64_t size) override { return real_->truncate(size); }
    IoStatus allocate(uint64_t size) override { return real_->allocate(size); }
    IoResult<uint64_t> size() override { return real_->size(); }

   private:
    FailingFs& fs_;
    std::string path_;
    std::unique_ptr<File> real_;
  };

  PosixFs real_;
};

}  // namespace regent::storage::testing
