// A backup of a member's state: what Maintenance.Snapshot streams, `etcdctl snapshot save` and
// `regentctl snapshot save` write to a file, and `regentctl snapshot status|restore` read.
//
//   "RGBACKUP" | version (u32) | revision (i64) | image size (u64) | image | zeros | SHA-256
//
// Integers are little-endian; the image is StateMachine::image() (the store and the member
// table); the zeros (fewer than 512) make everything before the SHA-256 a whole number of
// 512-byte blocks, and the SHA-256 covers all of it. That shape is etcd's: etcdctl 3.4's
// `snapshot save` refuses a stream whose length is not 32 more than a multiple of 512 ("sha256
// checksum not found"), since etcd appends the SHA-256 of its bbolt file that way. The contents
// are Regent's own: etcd's snapshot is a bbolt file, and each side refuses the other's.
//
// Invariants: decode_backup() accepts exactly what backup_head() + image + backup_tail() wrote;
// a file cut short, with bytes added, or with any byte changed is refused, never half-read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "regentpb/request.pb.h"

namespace regent::server {

inline constexpr std::string_view kBackupMagic = "RGBACKUP";
inline constexpr uint32_t kBackupVersion = 1;

// The bytes before the image, and those after it (the zeros and the SHA-256).
std::string backup_head(int64_t revision, uint64_t image_size);
std::string backup_tail(std::string_view head, std::string_view image);

// The whole file, at once (tests, restore).
std::string encode_backup(int64_t revision, std::string_view image);

struct Backup {
  int64_t revision = 0;
  std::string_view image;  // Into the decoded bytes.
};

// The backup in `file`, or why it is not one (named for an operator: truncated, damaged, not a
// Regent backup, a newer version).
Expected<Backup, std::string> decode_backup(std::string_view file);

// The image with its member table replaced by `members`: what a restored cluster starts from.
Expected<std::string, std::string> image_with_members(std::string_view image,
                                                      const std::vector<regentpb::Member>& members);

}  // namespace regent::server
