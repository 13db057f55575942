// The simulator's in-memory disk; the model is described in sim_fs.h.
//
// Invariant of every inode: outside its dirty ranges, current and durable read the same bytes
// (reading past stored content as zeros). So sync() copies only the dirty ranges (a log append
// costs its own size, not the segment's), and a torn crash only looks at dirty sectors.
#include "sim/sim_fs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "common/assert.h"

namespace regent::sim {

using storage::IoError;
using storage::IoResult;
using storage::IoStatus;

namespace {

constexpr uint64_t kSectorBytes = 512;

// One version of a file's content.
struct Image {
  std::string bytes;  // Stored content; bytes.size() <= size.
  uint64_t size = 0;  // Logical size; bytes past `bytes` read as zeros.

  char at(uint64_t i) const { return i < bytes.size() ? bytes[i] : '\0'; }
};

struct Inode {
  Image current;
  Image durable;
  // Disjoint, non-adjacent [lo, hi) ranges, keyed by lo, where current may differ from durable.
  std::map<uint64_t, uint64_t> dirty;
};

struct Dir {
  std::map<std::string, std::shared_ptr<Inode>> current;
  std::map<std::string, std::shared_ptr<Inode>> durable;
  std::set<std::string> subdirs;  // Names; always durable.
};

void mark_dirty(std::map<uint64_t, uint64_t>& dirty, uint64_t lo, uint64_t hi) {
  if (lo >= hi) return;
  auto it = dirty.upper_bound(lo);
  if (it != dirty.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= lo) {
      lo = prev->first;
      hi = std::max(hi, prev->second);
      dirty.erase(prev);
    }
  }
  while (it != dirty.end() && it->first <= hi) {
    hi = std::max(hi, it->second);
    it = dirty.erase(it);
  }
  dirty.emplace(lo, hi);
}

// Path components without empty ones and "."; joined with '/' (the root is "").
std::string normalize(const std::string& path) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    const std::string_view part(path.data() + i, j - i);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    i = j + 1;
  }
  return out;
}

// (parent, name) of a normalized path; the root has no name.
std::pair<std::string, std::string> split(const std::string& key) {
  const size_t slash = key.rfind('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

IoError io_error(std::string op, const std::string& path, int code, std::string detail) {
  return IoError{.op = std::move(op), .path = path, .code = code, .detail = std::move(detail)};
}

}  // namespace

struct SimFsState {
  std::map<std::string, Dir> dirs;  // By normalized path; "" is the root.
  uint64_t epoch = 0;               // Bumped by each crash; older handles are dead.
  uint64_t next_lock = 1;
  std::map<std::string, uint64_t> locks;  // Normalized path -> holder's token.
  std::map<FsOp, int> faults;
  SimFsStats stats;

  SimFsState() { dirs.emplace("", Dir{}); }

  // The pending fault for op, consumed, or 0.
  int take_fault(FsOp op) {
    auto it = faults.find(op);
    if (it == faults.end()) return 0;
    const int code = it->second;
    faults.erase(it);
    return code;
  }
};

namespace {

class SimFile final : public storage::File {
 public:
  SimFile(std::shared_ptr<SimFsState> state, std::shared_ptr<Inode> inode, uint64_t epoch,
          std::string path)
      : state_(std::move(state)), inode_(std::move(inode)), epoch_(epoch), path_(std::move(path)) {}

  IoStatus write_at(uint64_t offset, std::string_view data) override;
  IoStatus sync() override;
  IoStatus truncate(uint64_t size) override;
  IoStatus allocate(uint64_t size) override;
  IoResult<uint64_t> size() override;

 private:
  // An error if the handle died in a crash or a fault is pending for op; else nullopt.
  std::optional<IoError> refuse(const char* op_name, std::optional<FsOp> op);

  std::shared_ptr<SimFsState> state_;
  std::shared_ptr<Inode> inode_;
  uint64_t epoch_;
  std::string path_;
};

std::optional<IoError> SimFile::refuse(const char* op_name, std::optional<FsOp> op) {
  if (epoch_ != state_->epoch) {
    ++state_->stats.stale_handle_calls;
    return io_error(op_name, path_, EIO, "crashed");
  }
  if (op) {
    if (const int code = state_->take_fault(*op); code != 0) {
      return io_error(op_name, path_, code, "injected fault");
    }
  }
  return std::nullopt;
}

IoStatus SimFile::write_at(uint64_t offset, std::string_view data) {
  if (auto e = refuse("write", FsOp::kWrite)) return unexpected(std::move(*e));
  if (data.empty()) return {};
  if (offset > UINT64_MAX - data.size()) {
    return unexpected(io_error("write", path_, EFBIG, fmt::format("offset {}", offset)));
  }
  const uint64_t end = offset + data.size();
  Image& cur = inode_->current;
  if (cur.bytes.size() < end) cur.bytes.resize(end, '\0');
  std::memcpy(cur.bytes.data() + offset, data.data(), data.size());
  cur.size = std::max(cur.size, end);
  mark_dirty(inode_->dirty, offset, end);
  state_->stats.bytes_written += data.size();
  return {};
}

IoStatus SimFile::sync() {
  if (auto e = refuse("fdatasync", FsOp::kSync)) return unexpected(std::move(*e));
  const Image& cur = inode_->current;
  Image& dur = inode_->durable;
  // Outside the dirty ranges the two read alike, so resizing (padding with zeros) and copying
  // the dirty ranges makes them equal.
  dur.bytes.resize(cur.bytes.size(), '\0');
  for (const auto& [lo, hi] : inode_->dirty) {
    const uint64_t end = std::min<uint64_t>(hi, cur.bytes.size());
    if (lo < end) std::memcpy(dur.bytes.data() + lo, cur.bytes.data() + lo, end - lo);
  }
  dur.size = cur.size;
  inode_->dirty.clear();
  REGENT_DEBUG_ASSERT(dur.bytes == cur.bytes, "sync of {} left the images apart", path_);
  ++state_->stats.file_syncs;
  return {};
}

IoStatus SimFile::truncate(uint64_t size) {
  if (auto e = refuse("ftruncate", FsOp::kTruncate)) return unexpected(std::move(*e));
  Image& cur = inode_->current;
  if (size < cur.bytes.size()) {
    mark_dirty(inode_->dirty, size, cur.bytes.size());  // Those bytes now read as zeros.
    cur.bytes.resize(size);
  }
  cur.size = size;
  return {};
}

IoStatus SimFile::allocate(uint64_t size) {
  if (auto e = refuse("fallocate", FsOp::kAllocate)) return unexpected(std::move(*e));
  // Only the logical size: the new bytes read as zeros without being stored.
  inode_->current.size = std::max(inode_->current.size, size);
  return {};
}

IoResult<uint64_t> SimFile::size() {
  if (auto e = refuse("fstat", std::nullopt)) return unexpected(std::move(*e));
  return inode_->current.size;
}

class SimDirLock final : public storage::DirLock {
 public:
  SimDirLock(std::shared_ptr<SimFsState> state, std::string key, uint64_t token)
      : state_(std::move(state)), key_(std::move(key)), token_(token) {}
  // Releases the lock unless a crash already did (and someone else may hold it since).
  ~SimDirLock() override {
    auto it = state_->locks.find(key_);
    if (it != state_->locks.end() && it->second == token_) state_->locks.erase(it);
  }

 private:
  std::shared_ptr<SimFsState> state_;
  std::string key_;
  uint64_t token_;
};

// What a file holds after a torn crash: durable, with each differing dirty sector replaced by the
// current one with probability 1/2.
Image torn_image(const Inode& inode, Prng& prng) {
  const Image& cur = inode.current;
  Image out = inode.durable;
  const uint64_t stored = std::max(cur.bytes.size(), inode.durable.bytes.size());
  uint64_t next_sector = 0;  // Dirty ranges may share a sector: visit each once.
  for (const auto& [lo, hi] : inode.dirty) {
    for (uint64_t s = std::max(lo / kSectorBytes, next_sector); s * kSectorBytes < hi; ++s) {
      next_sector = s + 1;
      const uint64_t from = s * kSectorBytes;
      const uint64_t to = std::min(from + kSectorBytes, stored);
      bool differs = false;
      for (uint64_t i = from; i < to && !differs; ++i) differs = cur.at(i) != inode.durable.at(i);
      if (!differs || !prng.chance(1, 2)) continue;
      if (out.bytes.size() < to) out.bytes.resize(to, '\0');
      for (uint64_t i = from; i < to; ++i) out.bytes[i] = cur.at(i);
      out.size = std::max(out.size, to);
    }
  }
  return out;
}

}  // namespace

SimFs::SimFs() : state_(std::make_shared<SimFsState>()) {}

SimFs::~SimFs() {
  // Handles that outlive the disk die with it.
  ++state_->epoch;
  state_->locks.clear();
}

IoResult<std::unique_ptr<storage::File>> SimFs::open(const std::string& path,
                                                     storage::OpenMode mode) {
  const std::string key = normalize(path);
  const auto [parent, name] = split(key);
  auto dir = state_->dirs.find(parent);
  if (name.empty() || dir == state_->dirs.end()) {
    return unexpected(io_error("open", path, ENOENT, "no such directory"));
  }
  if (dir->second.subdirs.contains(name)) {
    return unexpected(io_error("open", path, EISDIR, "is a directory"));
  }
  if (const int code = state_->take_fault(FsOp::kOpen); code != 0) {
    return unexpected(io_error("open", path, code, "injected fault"));
  }
  std::shared_ptr<Inode> inode;
  if (mode == storage::OpenMode::kCreate) {
    inode = std::make_shared<Inode>();
    dir->second.current[name] = inode;
  } else {
    auto it = dir->second.current.find(name);
    if (it == dir->second.current.end()) {
      return unexpected(io_error("open", path, ENOENT, "no such file"));
    }
    inode = it->second;
  }
  return std::unique_ptr<storage::File>(
      std::make_unique<SimFile>(state_, std::move(inode), state_->epoch, path));
}

IoResult<std::string> SimFs::read_file(const std::string& path) {
  const std::string key = normalize(path);
  if (state_->dirs.contains(key)) {
    return unexpected(io_error("read", path, EISDIR, "is a directory"));
  }
  const auto [parent, name] = split(key);
  auto dir = state_->dirs.find(parent);
  if (dir == state_->dirs.end() || !dir->second.current.contains(name)) {
    return unexpected(io_error("open", path, ENOENT, "no such file"));
  }
  const Image& cur = dir->second.current.at(name)->current;
  std::string out = cur.bytes;
  out.resize(cur.size, '\0');
  return out;
}

IoResult<std::vector<std::string>> SimFs::list(const std::string& dir) {
  auto it = state_->dirs.find(normalize(dir));
  if (it == state_->dirs.end()) {
    return unexpected(io_error("opendir", dir, ENOENT, "no such directory"));
  }
  std::set<std::string> names(it->second.subdirs);
  for (const auto& [name, inode] : it->second.current) names.insert(name);
  return std::vector<std::string>(names.begin(), names.end());
}

IoResult<bool> SimFs::exists(const std::string& path) {
  const std::string key = normalize(path);
  if (state_->dirs.contains(key)) return true;
  const auto [parent, name] = split(key);
  auto dir = state_->dirs.find(parent);
  return dir != state_->dirs.end() && dir->second.current.contains(name);
}

IoStatus SimFs::create_dirs(const std::string& dir) {
  const std::string key = normalize(dir);
  size_t pos = 0;
  while (pos < key.size()) {
    size_t slash = key.find('/', pos);
    if (slash == std::string::npos) slash = key.size();
    const std::string prefix = key.substr(0, slash);
    const auto [parent, name] = split(prefix);
    Dir& p = state_->dirs.at(parent);  // Created by the previous round.
    if (p.current.contains(name)) {
      return unexpected(io_error("mkdir", dir, ENOTDIR, fmt::format("{} is a file", prefix)));
    }
    p.subdirs.insert(name);
    state_->dirs.try_emplace(prefix);
    pos = slash + 1;
  }
  return {};
}

IoStatus SimFs::rename(const std::string& from, const std::string& to) {
  const std::string from_key = normalize(from);
  const std::string to_key = normalize(to);
  const auto [from_parent, from_name] = split(from_key);
  const auto [to_parent, to_name] = split(to_key);
  auto src = state_->dirs.find(from_parent);
  auto dst = state_->dirs.find(to_parent);
  const std::string both = fmt::format("{} -> {}", from, to);
  if (state_->dirs.contains(from_key) || state_->dirs.contains(to_key)) {
    return unexpected(io_error("rename", both, EISDIR, "SimFs renames files only"));
  }
  if (src == state_->dirs.end() || !src->second.current.contains(from_name)) {
    return unexpected(io_error("rename", both, ENOENT, fmt::format("no such file {}", from)));
  }
  if (dst == state_->dirs.end() || to_name.empty()) {
    return unexpected(io_error("rename", both, ENOENT, "no such target directory"));
  }
  if (const int code = state_->take_fault(FsOp::kRename); code != 0) {
    return unexpected(io_error("rename", both, code, "injected fault"));
  }
  if (from_key == to_key) return {};
  auto inode = src->second.current.at(from_name);
  src->second.current.erase(from_name);
  dst->second.current[to_name] = std::move(inode);
  return {};
}

IoStatus SimFs::remove(const std::string& path) {
  const std::string key = normalize(path);
  const auto [parent, name] = split(key);
  auto dir = state_->dirs.find(parent);
  const bool is_dir = state_->dirs.contains(key);
  if (key.empty() || dir == state_->dirs.end() ||
      (!is_dir && !dir->second.current.contains(name))) {
    return unexpected(io_error("remove", path, ENOENT, "no such file or directory"));
  }
  if (const int code = state_->take_fault(FsOp::kRemove); code != 0) {
    return unexpected(io_error("remove", path, code, "injected fault"));
  }
  if (is_dir) {
    const Dir& d = state_->dirs.at(key);
    if (!d.current.empty() || !d.subdirs.empty()) {
      return unexpected(io_error("remove", path, ENOTEMPTY, "directory not empty"));
    }
    state_->dirs.erase(key);
    dir->second.subdirs.erase(name);
    return {};
  }
  dir->second.current.erase(name);
  return {};
}

IoStatus SimFs::sync_dir(const std::string& dir) {
  auto it = state_->dirs.find(normalize(dir));
  if (it == state_->dirs.end()) {
    return unexpected(io_error("fsync", dir, ENOENT, "no such directory"));
  }
  if (const int code = state_->take_fault(FsOp::kSyncDir); code != 0) {
    return unexpected(io_error("fsync", dir, code, "injected fault"));
  }
  it->second.durable = it->second.current;
  ++state_->stats.dir_syncs;
  return {};
}

IoResult<std::unique_ptr<storage::DirLock>> SimFs::lock(const std::string& path) {
  const std::string key = normalize(path);
  const auto [parent, name] = split(key);
  auto dir = state_->dirs.find(parent);
  if (name.empty() || dir == state_->dirs.end() || dir->second.subdirs.contains(name)) {
    return unexpected(io_error("flock", path, ENOENT, "no such directory, or not a file"));
  }
  if (auto held = state_->locks.find(key); held != state_->locks.end()) {
    return unexpected(io_error("flock", path, EWOULDBLOCK,
                               fmt::format("held by another opener on this simulated disk "
                                           "(lock #{})",
                                           held->second)));
  }
  if (!dir->second.current.contains(name)) dir->second.current[name] = std::make_shared<Inode>();
  const uint64_t token = state_->next_lock++;
  state_->locks[key] = token;
  return std::unique_ptr<storage::DirLock>(std::make_unique<SimDirLock>(state_, key, token));
}

void SimFs::crash(Prng& prng, uint32_t torn_percent) {
  // Listings first, in path order (deterministic draws): the surviving names decide which
  // inodes exist.
  for (auto& [path, dir] : state_->dirs) {
    if (dir.current != dir.durable && prng.chance(torn_percent, 100)) {
      dir.durable = dir.current;
    } else {
      dir.current = dir.durable;
    }
  }
  std::set<const Inode*> seen;
  for (auto& [path, dir] : state_->dirs) {
    for (auto& [name, inode] : dir.current) {
      if (!seen.insert(inode.get()).second) continue;
      if (!inode->dirty.empty() && prng.chance(torn_percent, 100)) {
        inode->durable = torn_image(*inode, prng);
      }
      inode->current = inode->durable;
      inode->dirty.clear();
    }
  }
  ++state_->epoch;
  state_->locks.clear();
  ++state_->stats.crashes;
}

void SimFs::overwrite_synced(const std::string& path, uint64_t offset, std::string_view bytes) {
  const auto [parent, name] = split(normalize(path));
  auto dir = state_->dirs.find(parent);
  REGENT_ASSERT(dir != state_->dirs.end() && dir->second.current.contains(name),
                "overwrite_synced: no file {}", path);
  Inode& inode = *dir->second.current.at(name);
  REGENT_ASSERT(inode.dirty.empty() && offset + bytes.size() <= inode.durable.size,
                "overwrite_synced: {} has unsynced changes or is shorter than {}", path,
                offset + bytes.size());
  for (Image* image : {&inode.current, &inode.durable}) {
    if (image->bytes.size() < offset + bytes.size()) image->bytes.resize(offset + bytes.size());
    image->bytes.replace(offset, bytes.size(), bytes);
  }
}

void SimFs::fail_next(FsOp op, int code) {
  REGENT_ASSERT(code != 0, "fail_next needs an errno");
  state_->faults[op] = code;
}

const SimFsStats& SimFs::stats() const { return state_->stats; }

uint64_t SimFs::stored_bytes() const {
  std::set<const Inode*> seen;
  uint64_t total = 0;
  for (const auto& [path, dir] : state_->dirs) {
    for (const auto* listing : {&dir.current, &dir.durable}) {
      for (const auto& [name, inode] : *listing) {
        if (seen.insert(inode.get()).second) {
          total += inode->current.bytes.size() + inode->durable.bytes.size();
        }
      }
    }
  }
  return total;
}

}  // namespace regent::sim
