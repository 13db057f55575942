#include "image_record.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

namespace regent::chaos::synced {
namespace {

int write_all(int fd, const char* data, size_t size, uint64_t offset) {
  // Each round writes at least one byte or returns.
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return 0;
}

// A whole file replaced at once (write beside, then rename), so a member killed meanwhile leaves
// the old version or the new one.
int replace_file(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  {
    ScopedFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out.fd < 0) return errno;
    if (int e = write_all(out.fd, bytes.data(), bytes.size(), 0); e != 0) return e;
  }
  return ::rename(tmp.c_str(), path.c_str()) == 0 ? 0 : errno;
}

}  // namespace

ScopedFd::~ScopedFd() {
  if (fd >= 0) ::close(fd);
}

std::string file_entry(const std::string& image_dir, uint64_t ino) {
  return image_dir + "/f" + std::to_string(ino);
}
std::string dir_entry(const std::string& image_dir, uint64_t ino) {
  return image_dir + "/d" + std::to_string(ino);
}
std::string root_entry(const std::string& image_dir) { return image_dir + "/root"; }
std::string observed_entry(const std::string& image_dir) { return image_dir + "/observed"; }

int copy_range(int from, int to, uint64_t begin, uint64_t end) {
  char buf[64 * 1024];
  // Each round copies at least one byte or returns; a short file ends the copy early.
  while (begin < end) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof(buf), end - begin));
    const ssize_t n = ::pread(from, buf, want, static_cast<off_t>(begin));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return 0;
    if (int e = write_all(to, buf, static_cast<size_t>(n), begin); e != 0) return e;
    begin += static_cast<uint64_t>(n);
  }
  return 0;
}

int copy_sparse(int from, int to, uint64_t size) {
  if (::ftruncate(to, static_cast<off_t>(size)) != 0) return errno;
  uint64_t at = 0;
  // Each round moves past one data region, so it runs at most once per region.
  while (at < size) {
    const off_t data = ::lseek(from, static_cast<off_t>(at), SEEK_DATA);
    if (data < 0) return errno == ENXIO ? 0 : errno;  // ENXIO: no data after `at`.
    off_t hole = ::lseek(from, data, SEEK_HOLE);
    if (hole < 0) hole = static_cast<off_t>(size);
    const uint64_t end = std::min<uint64_t>(static_cast<uint64_t>(hole), size);
    if (int e = copy_range(from, to, static_cast<uint64_t>(data), end); e != 0) return e;
    at = end;
  }
  return 0;
}

int record_file_sync(const std::string& image_dir, int fd, uint64_t ino, const Ranges& dirty,
                     uint64_t shortest) {
  // Read through a descriptor of our own: the member's may be write-only.
  ScopedFd from(::open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_RDONLY | O_CLOEXEC));
  if (from.fd < 0) return errno;
  struct stat st;
  if (::fstat(from.fd, &st) != 0) return errno;
  const auto size = static_cast<uint64_t>(st.st_size);
  ScopedFd to(::open(file_entry(image_dir, ino).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (to.fd < 0) return errno;
  if (::ftruncate(to.fd, static_cast<off_t>(std::min(shortest, size))) != 0) return errno;
  if (::ftruncate(to.fd, static_cast<off_t>(size)) != 0) return errno;
  for (const auto& [begin, end] : dirty) {
    if (begin >= size) continue;
    if (int e = copy_range(from.fd, to.fd, begin, std::min(end, size)); e != 0) return e;
  }
  return 0;
}

int record_dir_sync(const std::string& image_dir, int fd, uint64_t ino) {
  // A descriptor of our own: readdir moves the position of the one it reads.
  const int own = ::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (own < 0) return errno;
  DIR* d = ::fdopendir(own);
  if (d == nullptr) {
    const int e = errno;
    ::close(own);
    return e;
  }
  std::string listing;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d);
    if (e == nullptr) break;
    const std::string_view name(e->d_name);
    if (name == "." || name == "..") continue;
    char kind = 0;
    if (e->d_type == DT_REG) kind = 'f';
    if (e->d_type == DT_DIR) kind = 'd';
    if (kind == 0) continue;  // Links, sockets, ...: the storage layer makes none.
    listing += kind;
    listing += ' ' + std::to_string(e->d_ino) + ' ' + std::string(name) + '\n';
  }
  const int read_error = errno;
  ::closedir(d);
  if (read_error != 0) return read_error;
  return replace_file(dir_entry(image_dir, ino), listing);
}

void mark_observed(const std::string& image_dir) {
  (void)replace_file(observed_entry(image_dir), "");
}

}  // namespace regent::chaos::synced
