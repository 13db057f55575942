#include "raft/log/storage.h"

namespace regent::raft {

std::string_view to_string(StorageError e) {
  switch (e) {
    case StorageError::kCompacted:
      return "requested index is unavailable due to compaction";
    case StorageError::kUnavailable:
      return "requested entry at index is unavailable";
    case StorageError::kSnapshotTemporarilyUnavailable:
      return "snapshot is temporarily unavailable";
  }
  return "unknown storage error";
}

}  // namespace regent::raft
