// LD_PRELOAD library for the `power` nemesis: it watches a member's writes and syncs under its
// data directory and keeps the image of what was synced (synced_image.h), so that the harness
// can roll the directory back to it after killing the member, as a power loss would.
//
// Loaded with REGENT_CHAOS_DATA_DIR and REGENT_CHAOS_SYNCED_IMAGE set; without them every call
// goes straight through. REGENT_CHAOS_SYNC_DELAY_FILE names a file holding N (read again at most
// every 100 ms; missing or 0: no delay): each sync there then takes up to N µs longer
// (uniformly), a slow disk. The time between a write and its sync is the window a power loss can
// hit, and on a fast disk a member that answers too early is rarely caught in it; the nemesis
// slows the disk just before it cuts the power. Invariants:
//  - Calls pass to libc unchanged and return its result and errno; the library only watches.
//  - Only descriptors opened on a path under the data directory are tracked; `tracked_` answers
//    "is this descriptor tracked?" without a lock, so sockets and pipes pay one atomic load.
//  - Written ranges are kept per inode, not per descriptor: a file written through one
//    descriptor and synced through another (or after close) is recorded whole.
//  - The image is updated only after the kernel's fsync/fdatasync has returned success, inside
//    that same call, so what the image holds was synced before the member learnt it was.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "image_record.h"

namespace {

constexpr int kMaxTrackedFd = 1 << 16;

struct Written {
  regent::chaos::synced::Ranges ranges;
  uint64_t shortest = UINT64_MAX;  // The least size set by ftruncate since the last sync.

  void add(uint64_t begin, uint64_t end) {
    auto it = ranges.upper_bound(begin);
    if (it != ranges.begin() && std::prev(it)->second >= begin) --it;
    // Each round swallows one existing range, so it ends within ranges.size() rounds.
    while (it != ranges.end() && it->first <= end) {
      begin = std::min(begin, it->first);
      end = std::max(end, it->second);
      it = ranges.erase(it);
    }
    ranges.emplace(begin, end);
  }
};

struct Tracked {
  uint64_t ino = 0;
  bool is_dir = false;
};

struct State {
  bool active = false;
  std::string root;  // The data directory's real path.
  std::string image;
  std::mutex mu;
  std::unordered_map<int, Tracked> fds;
  std::unordered_map<uint64_t, Written> written;
  bool observed = false;
  std::string sync_delay_file;
};

std::atomic<bool> tracked_[kMaxTrackedFd];
// The library's own calls (image updates) are not watched.
thread_local int inside_ = 0;

State& state() {
  // Built on first use, which may come before this library's constructors ran.
  static State* s = [] {
    auto* st = new State;
    const char* dir = std::getenv(regent::chaos::synced::kDataDirVariable);
    const char* image = std::getenv(regent::chaos::synced::kImageDirVariable);
    if (dir == nullptr || image == nullptr) return st;
    char resolved[PATH_MAX];
    ++inside_;
    const bool ok = ::realpath(dir, resolved) != nullptr;
    --inside_;
    if (!ok) {
      std::fprintf(stderr, "unsynced-loss preload: %s: cannot resolve; not watching\n", dir);
      return st;
    }
    if (const char* delay = std::getenv(regent::chaos::synced::kSyncDelayVariable)) {
      st->sync_delay_file = delay;
    }
    st->root = resolved;
    st->image = image;
    st->active = true;
    return st;
  }();
  return *s;
}

template <typename F>
F real(const char* name) {
  // dlsym is thread-safe; a race only looks the same symbol up twice.
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

#define REAL(name) static auto real_##name = real<decltype(&::name)>(#name)

bool is_tracked(int fd) { return fd >= 0 && fd < kMaxTrackedFd && tracked_[fd].load(); }

// What `fd` is, if tracked; call with s.mu held.
const Tracked* find_tracked(State& s, int fd) {
  auto it = s.fds.find(fd);
  return it == s.fds.end() ? nullptr : &it->second;
}

void on_open(int fd, int flags) {
  if (fd < 0 || inside_ > 0) return;
  State& s = state();
  if (!s.active) return;
  ++inside_;
  char path[PATH_MAX];
  const ssize_t n =
      ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), path, sizeof(path) - 1);
  struct stat st;
  const bool stat_ok = ::fstat(fd, &st) == 0;
  --inside_;
  if (n <= 0 || !stat_ok) return;
  const std::string p(path, static_cast<size_t>(n));
  const bool under =
      p == s.root || (p.size() > s.root.size() && p.compare(0, s.root.size(), s.root) == 0 &&
                      p[s.root.size()] == '/');
  if (!under || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) return;
  if (fd >= kMaxTrackedFd) {
    std::fprintf(stderr, "unsynced-loss preload: descriptor %d is beyond %d; not watched\n", fd,
                 kMaxTrackedFd);
    return;
  }
  std::lock_guard lock(s.mu);
  const auto ino = static_cast<uint64_t>(st.st_ino);
  s.fds[fd] = Tracked{.ino = ino, .is_dir = S_ISDIR(st.st_mode)};
  if ((flags & O_TRUNC) != 0 && S_ISREG(st.st_mode)) s.written[ino].shortest = 0;
  tracked_[fd].store(true);
}

// `to` now names what `from` names (dup and its kin; dd, for one, reopens onto fd 1).
void on_duplicated(int from, int to) {
  if (to < 0 || to >= kMaxTrackedFd) return;
  State& s = state();
  if (!s.active) return;
  std::lock_guard lock(s.mu);
  const Tracked* t = is_tracked(from) ? find_tracked(s, from) : nullptr;
  if (t == nullptr) {
    s.fds.erase(to);
    tracked_[to].store(false);
    return;
  }
  s.fds[to] = *t;
  tracked_[to].store(true);
}

void on_close(int fd) {
  if (!is_tracked(fd)) return;
  State& s = state();
  std::lock_guard lock(s.mu);
  tracked_[fd].store(false);
  s.fds.erase(fd);
}

void on_written(int fd, uint64_t offset, ssize_t n) {
  if (n <= 0 || !is_tracked(fd)) return;
  State& s = state();
  std::lock_guard lock(s.mu);
  if (const Tracked* t = find_tracked(s, fd)) {
    s.written[t->ino].add(offset, offset + static_cast<uint64_t>(n));
  }
}

void on_resized(int fd, uint64_t size) {
  if (!is_tracked(fd)) return;
  State& s = state();
  std::lock_guard lock(s.mu);
  if (const Tracked* t = find_tracked(s, fd)) {
    Written& w = s.written[t->ino];
    w.shortest = std::min(w.shortest, size);
  }
}

// Where a write() (no offset of its own) will land.
uint64_t position_of(int fd) {
  ++inside_;
  uint64_t at = 0;
  const int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0 && (fl & O_APPEND) != 0) {
    struct stat st;
    if (::fstat(fd, &st) == 0) at = static_cast<uint64_t>(st.st_size);
  } else {
    const off_t pos = ::lseek(fd, 0, SEEK_CUR);
    at = pos < 0 ? 0 : static_cast<uint64_t>(pos);
  }
  --inside_;
  return at;
}

void on_synced(int fd) {
  if (!is_tracked(fd)) return;
  State& s = state();
  std::lock_guard lock(s.mu);
  const Tracked* found = find_tracked(s, fd);
  if (found == nullptr) return;
  const Tracked t = *found;
  ++inside_;
  int e = 0;
  if (t.is_dir) {
    e = regent::chaos::synced::record_dir_sync(s.image, fd, t.ino);
  } else {
    const Written& w = s.written[t.ino];
    e = regent::chaos::synced::record_file_sync(s.image, fd, t.ino, w.ranges, w.shortest);
    if (e == 0) s.written.erase(t.ino);
  }
  if (e == 0 && !s.observed) {
    regent::chaos::synced::mark_observed(s.image);
    s.observed = true;
  }
  --inside_;
  if (e != 0) {
    // The image would claim less than was synced; say so loudly rather than roll back wrongly.
    std::fprintf(stderr, "unsynced-loss preload: recording a sync of fd %d failed: errno %d\n", fd,
                 e);
    std::abort();
  }
}

// The slow disk's longest extra time now, from the delay file (cached for 100 ms).
uint64_t sync_delay_us() {
  static std::atomic<int64_t> next_read_ns{0};
  static std::atomic<uint64_t> delay_us{0};
  const std::string& file = state().sync_delay_file;
  if (file.empty()) return 0;
  struct timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const int64_t now_ns = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
  if (now_ns < next_read_ns.load()) return delay_us.load();
  next_read_ns.store(now_ns + 100'000'000);
  ++inside_;
  char text[32] = {};
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  const ssize_t n = fd >= 0 ? ::read(fd, text, sizeof(text) - 1) : -1;
  if (fd >= 0) ::close(fd);
  --inside_;
  delay_us.store(n > 0 ? std::strtoull(text, nullptr, 10) : 0);
  return delay_us.load();
}

// The slow disk's extra time, before the kernel's sync (so the window is before it returns).
void delay_sync(int fd) {
  if (!is_tracked(fd)) return;
  const uint64_t most = sync_delay_us();
  if (most == 0) return;
  thread_local uint64_t x = 0x9e3779b97f4a7c15ULL ^ static_cast<uint64_t>(::gettid());
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  ::usleep(static_cast<useconds_t>(x % (most + 1)));
}

mode_t mode_arg(int flags, va_list ap) {
  return (flags & (O_CREAT | O_TMPFILE)) != 0 ? static_cast<mode_t>(va_arg(ap, int)) : 0;
}

}  // namespace

extern "C" {

int open(const char* path, int flags, ...) {
  REAL(open);
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  const int fd = real_open(path, flags, mode);
  on_open(fd, flags);
  return fd;
}

// On 64-bit Linux the *64 calls are the same calls, so each passes to its plain twin.
int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return open(path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {
  REAL(openat);
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  const int fd = real_openat(dirfd, path, flags, mode);
  on_open(fd, flags);
  return fd;
}

int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return openat(dirfd, path, flags, mode);
}

// The _FORTIFY_SOURCE entry points, which callers built with it reach instead of open().
int __open_2(const char* path, int flags) { return open(path, flags); }
int __open64_2(const char* path, int flags) { return open64(path, flags); }
int __openat_2(int dirfd, const char* path, int flags) { return openat(dirfd, path, flags); }
int __openat64_2(int dirfd, const char* path, int flags) { return openat64(dirfd, path, flags); }

int creat(const char* path, mode_t mode) { return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode); }
int creat64(const char* path, mode_t mode) {
  return open64(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int close(int fd) {
  REAL(close);
  on_close(fd);
  return real_close(fd);
}

int dup(int fd) {
  REAL(dup);
  const int r = real_dup(fd);
  if (r >= 0) on_duplicated(fd, r);
  return r;
}

int dup2(int fd, int to) {
  REAL(dup2);
  const int r = real_dup2(fd, to);
  if (r >= 0 && fd != to) on_duplicated(fd, r);
  return r;
}

int dup3(int fd, int to, int flags) {
  REAL(dup3);
  const int r = real_dup3(fd, to, flags);
  if (r >= 0) on_duplicated(fd, r);
  return r;
}

ssize_t write(int fd, const void* buf, size_t n) {
  REAL(write);
  if (!is_tracked(fd)) return real_write(fd, buf, n);
  const uint64_t at = position_of(fd);
  const ssize_t r = real_write(fd, buf, n);
  on_written(fd, at, r);
  return r;
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
  REAL(pwrite);
  const ssize_t r = real_pwrite(fd, buf, n, offset);
  on_written(fd, static_cast<uint64_t>(offset), r);
  return r;
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t offset) {
  return pwrite(fd, buf, n, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  REAL(writev);
  if (!is_tracked(fd)) return real_writev(fd, iov, count);
  const uint64_t at = position_of(fd);
  const ssize_t r = real_writev(fd, iov, count);
  on_written(fd, at, r);
  return r;
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t offset) {
  REAL(pwritev);
  const ssize_t r = real_pwritev(fd, iov, count, offset);
  on_written(fd, static_cast<uint64_t>(offset), r);
  return r;
}

ssize_t pwritev64(int fd, const struct iovec* iov, int count, off64_t offset) {
  return pwritev(fd, iov, count, offset);
}

int ftruncate(int fd, off_t size) {
  REAL(ftruncate);
  const int r = real_ftruncate(fd, size);
  if (r == 0) on_resized(fd, static_cast<uint64_t>(size));
  return r;
}

int ftruncate64(int fd, off64_t size) { return ftruncate(fd, size); }

// fallocate and posix_fallocate only grow a file with zeros (or holes): the size is taken at
// the next sync, and nothing written needs recording.

int fsync(int fd) {
  REAL(fsync);
  delay_sync(fd);
  const int r = real_fsync(fd);
  if (r == 0) on_synced(fd);
  return r;
}

int fdatasync(int fd) {
  REAL(fdatasync);
  delay_sync(fd);
  const int r = real_fdatasync(fd);
  if (r == 0) on_synced(fd);
  return r;
}

}  // extern "C"
