// The image's writer side (layout and model: synced_image.h), used inside the member by the
// preload library. Plain POSIX calls only: it runs within the member's own open/fsync calls.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace regent::chaos::synced {

// The preload library's settings, from the member's environment.
inline constexpr const char* kDataDirVariable = "REGENT_CHAOS_DATA_DIR";
inline constexpr const char* kImageDirVariable = "REGENT_CHAOS_SYNCED_IMAGE";
inline constexpr const char* kSyncDelayVariable = "REGENT_CHAOS_SYNC_DELAY_FILE";

// A descriptor closed on every path out.
struct ScopedFd {
  int fd;
  explicit ScopedFd(int f) : fd(f) {}
  ~ScopedFd();
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
};

// Byte ranges of a file, disjoint and merged: begin -> end.
using Ranges = std::map<uint64_t, uint64_t>;

// Each returns 0 or an errno value; the caller serialises them.
//
// A sync of regular file `fd` (inode `ino`): `dirty` (written since its last sync) is copied
// into the image and the image's size set to the file's; `shortest` is the least size the file
// had since its last sync (ftruncate), so that bytes cut off and grown back read as zeros.
int record_file_sync(const std::string& image_dir, int fd, uint64_t ino, const Ranges& dirty,
                     uint64_t shortest);
// An fsync of directory `fd` (inode `ino`): its entries as they are now.
int record_dir_sync(const std::string& image_dir, int fd, uint64_t ino);
void mark_observed(const std::string& image_dir);

// Copies [begin, end) of `from` to the same place in `to` (less if `from` is shorter).
int copy_range(int from, int to, uint64_t begin, uint64_t end);
// Makes `to` `size` bytes long holding `from`'s data regions, its holes left holes.
int copy_sparse(int from, int to, uint64_t size);

// The image's file names.
std::string file_entry(const std::string& image_dir, uint64_t ino);
std::string dir_entry(const std::string& image_dir, uint64_t ino);
std::string root_entry(const std::string& image_dir);
std::string observed_entry(const std::string& image_dir);

}  // namespace regent::chaos::synced
