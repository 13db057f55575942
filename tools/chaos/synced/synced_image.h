// What a member's data directory would hold after a power loss: only what it had synced.
//
// The LD_PRELOAD library (unsynced_loss_preload.cc), loaded into the member, keeps this image up
// to date at every fsync and fdatasync; after killing the member, the `power` nemesis rebuilds
// the data directory from it. The image is a directory of its own beside the data directory:
//   root      the data directory's inode number
//   d<ino>    a directory's entries as of its last fsync, one "<f|d> <ino> <name>" line each
//   f<ino>    a regular file's bytes and size as of its last fsync or fdatasync (sparse: what
//             was never written is a hole, as fallocate()d space is after a crash)
//   observed  made at the first sync the library saw; a server that calls the kernel without
//             libc (Go's runtime does) is never observed, and must not be rolled back
//
// The model is POSIX's promise and no more:
//  - A file's data and size are durable once fsync or fdatasync of it returns; sync_file_range
//    is not a sync.
//  - A name created, renamed or removed is durable once fsync of its directory returns.
//  - A name whose file never synced comes back as an empty file.
//  - Everything in the data directory when the member starts counts as synced (a process killed
//    without a power loss leaves its page cache to be written).
// Known gaps: files are keyed by inode number, so a number reused between two syncs of its
// directory could give a restored name the bytes of the file that had the number before; what
// a process wrote is known to that process only, so a sync by another process records none of
// it (a member is one process, and its image starts afresh at each start); and sync()/syncfs(),
// stdio and mmap writes are not seen (the storage layer uses none of them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/expected.h"
#include "image_record.h"

namespace regent::chaos::synced {

// Starts the image of `data_dir` as it is now, replacing any earlier one. Creates `data_dir`
// (empty) if it is missing.
Expected<void, std::string> seed(const std::string& data_dir, const std::string& image_dir);

// Replaces `data_dir` by what the image says had been synced.
Expected<void, std::string> restore(const std::string& image_dir, const std::string& data_dir);

// Whether the member's syncs were seen at all (see `observed` above).
bool observed(const std::string& image_dir);

}  // namespace regent::chaos::synced
