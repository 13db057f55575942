// Damage to synced data at rest: while a node is down, one record its log had synced loses a
// sector (zeros) or has bits flipped, as a failing disk does. The storage code must refuse to
// start on it (record.h, "Torn writes"); open_storage() checks that it does.
//
// Only records that a later sync point follows are damaged: a zeroed sector in the very last
// synced write of the newest segment reads exactly like a write a crash interrupted, so no
// reader of the bytes alone can tell it from a torn tail. That case is cut, and the member's
// peers catch the loss (raft.h, "Lost log"); raft_lost_log_test.cc covers it.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "sim/world.h"
#include "storage/record.h"

namespace regent::sim {

namespace {

constexpr const char* kWalDir = "/data/wal";

struct Target {
  std::string file;
  uint64_t sector = 0;  // Offset of the 512-byte sector to zero, or of the byte to flip.
};

// Every sector of a synced record in this segment that a later sync point follows whole.
void collect_targets(const std::string& file, std::string_view bytes, bool is_last,
                     std::vector<Target>& out) {
  const storage::DecodedSegment d = storage::decode_segment(bytes, is_last);
  uint64_t last_sync_point = 0;
  for (const storage::Record& r : d.records) {
    if (r.type == storage::RecordType::kSyncPoint) last_sync_point = r.offset;
  }
  for (const storage::Record& r : d.records) {
    const uint64_t end = r.offset + storage::kRecordHeaderBytes + r.payload.size();
    for (uint64_t s = r.offset / storage::kSectorBytes * storage::kSectorBytes; s < end;
         s += storage::kSectorBytes) {
      const std::string_view sector = bytes.substr(s, storage::kSectorBytes);
      const bool all_zero = sector.find_first_not_of('\0') == std::string_view::npos;
      // Zeroing a sector that holds only zeros would change nothing.
      if (s + storage::kSectorBytes <= last_sync_point && !all_zero) {
        out.push_back(Target{file, s});
      }
    }
  }
}

}  // namespace

void World::damage_synced_data(Node& n) {
  auto names = n.fs->list(kWalDir);
  if (!names) return;
  std::vector<std::string> segments;
  for (const std::string& name : *names) {
    if (name.ends_with(".wal")) segments.push_back(name);
  }
  std::sort(segments.begin(), segments.end());
  std::map<std::string, std::string> contents;  // Each segment read once, by path.
  std::vector<Target> targets;
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string path = fmt::format("{}/{}", kWalDir, segments[i]);
    auto bytes = n.fs->read_file(path);
    if (!bytes) continue;
    const std::string& kept = contents.emplace(path, std::move(*bytes)).first->second;
    collect_targets(path, kept, i + 1 == segments.size(), targets);
  }
  if (targets.empty()) return;
  const Target& t = targets[prng_.uniform(targets.size())];
  if (prng_.chance(1, 2)) {
    n.fs->overwrite_synced(t.file, t.sector, std::string(storage::kSectorBytes, '\0'));
    trace(fmt::format("damage: node {} lost sector {} of {} (zeros)", n.id, t.sector, t.file));
  } else {
    const uint64_t at = t.sector + prng_.uniform(storage::kSectorBytes);
    const std::string& bytes = contents.at(t.file);
    if (at >= bytes.size()) return;
    // Never to zero: a flipped byte is one a reader sees was written.
    char flipped = static_cast<char>(bytes[at] ^ static_cast<char>(1 + prng_.uniform(255)));
    if (flipped == 0) flipped = static_cast<char>(0x5a);
    n.fs->overwrite_synced(t.file, at, std::string(1, flipped));
    trace(fmt::format("damage: node {} had bits flipped at {} of {}", n.id, at, t.file));
  }
  n.damaged = true;
  damaged_any_ = true;
}

}  // namespace regent::sim
