// Writes the seed corpus of the wal_record fuzz target into the directory given: valid segments
// and snapshot files made by today's encoders, a few damaged the way a crash or a bad disk damages
// them, and the same records as framed inputs (wal_record_input.h). Generating them keeps the
// seeds in step with the formats, where committed binary files would go stale.
//
// Usage: regent_wal_record_seeds <dir>   (the directory must exist; files are overwritten)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "fuzz/wal_record_input.h"
#include "raft/conf_change.h"
#include "raft/types.h"
#include "storage/codec.h"
#include "storage/record.h"

namespace regent::fuzz {
namespace {

using storage::RecordType;

struct TypedPayload {
  RecordType type;
  std::string payload;
};

// The records of a small segment: its header, entries of several sizes (one spanning sectors,
// one a conf change), a hard state and a snapshot mark.
std::vector<TypedPayload> sample_records() {
  std::vector<TypedPayload> out;
  out.push_back({RecordType::kSegmentHeader,
                 storage::encode_segment_header(storage::SegmentHeader{
                     .seq = 3, .first_index = 101, .snapshot_index = 100, .snapshot_term = 2})});
  out.push_back({RecordType::kEntry, storage::encode_entry(raft::Entry{.term = 2, .index = 101})});
  out.push_back({RecordType::kEntry, storage::encode_entry(raft::Entry{
                                         .term = 3, .index = 102, .data = std::string(700, 'x')})});
  raft::ConfChange cc;
  cc.changes.push_back(
      raft::ConfChangeSingle{.type = raft::ConfChangeType::kAddNode, .node_id = 4});
  out.push_back({RecordType::kEntry,
                 storage::encode_entry(raft::Entry{.term = 3,
                                                   .index = 103,
                                                   .type = raft::EntryType::kConfChange,
                                                   .data = raft::encode_conf_change(cc)})});
  out.push_back({RecordType::kHardState,
                 storage::encode_hard_state(raft::HardState{.term = 3, .vote = 1, .commit = 103})});
  out.push_back({RecordType::kSnapshotMark,
                 storage::encode_snapshot_mark(storage::SnapshotMark{.index = 100, .term = 2})});
  return out;
}

raft::Snapshot sample_snapshot() {
  raft::Snapshot s;
  s.data = "state machine image";
  s.metadata.index = 100;
  s.metadata.term = 2;
  s.metadata.conf_state.voters = {1, 2, 3};
  s.metadata.conf_state.learners = {7};
  s.metadata.conf_state.voters_outgoing = {1, 2, 4};
  s.metadata.conf_state.learners_next = {4};
  s.metadata.conf_state.auto_leave = true;
  return s;
}

bool write_seed(const std::string& dir, const std::string& name, std::string_view bytes) {
  std::ofstream f(dir + "/" + name, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f)
    std::fprintf(stderr, "regent_wal_record_seeds: cannot write %s/%s\n", dir.c_str(),
                 name.c_str());
  return static_cast<bool>(f);
}

std::string raw(uint8_t flags, std::string_view segment) {
  std::string out(1, static_cast<char>(flags));
  out.append(segment);
  return out;
}

std::string framed(uint8_t flags, uint16_t tail, const std::vector<TypedPayload>& records) {
  std::string out(1, static_cast<char>(flags | kFramed));
  put_fixed16(out, tail);
  for (const TypedPayload& r : records) put_piece(out, r.type, r.payload);
  return out;
}

int run(const std::string& dir) {
  const std::vector<TypedPayload> records = sample_records();
  std::string segment;
  for (const TypedPayload& r : records) storage::append_record(segment, r.type, r.payload);
  const std::string preallocated = segment + std::string(2048 - segment.size() % 512, '\0');
  // The 700-byte entry crosses a sector boundary: a crash that kept the first sector of the
  // write but not the second leaves zeros in the middle of a record.
  std::string unwritten_sector = preallocated;
  std::fill(unwritten_sector.begin() + 512, unwritten_sector.begin() + 1024, '\0');
  std::string flipped = segment;
  flipped[segment.size() / 2] ^= 0x20;

  const std::string snapshot_file = storage::encode_snapshot_file(sample_snapshot());
  std::string snapshot_body(snapshot_file.substr(kSnapshotHeaderBytes));
  std::string snapshot_framed(1, static_cast<char>(kFramed));
  put_fixed16(snapshot_framed, 0);
  snapshot_framed.append(snapshot_body);

  struct Seed {
    const char* name;
    std::string bytes;
  };
  const std::vector<Seed> seeds = {
      {"raw-clean-last", raw(kLastSegment, preallocated)},
      {"raw-clean-inner", raw(0, segment)},
      {"raw-torn-end", raw(kLastSegment, segment.substr(0, segment.size() - 5))},
      {"raw-unwritten-sector", raw(kLastSegment, unwritten_sector)},
      {"raw-flipped-bit", raw(kLastSegment, flipped)},
      {"raw-snapshot-file", raw(0, snapshot_file)},
      {"framed-whole", framed(kLastSegment, 0, records)},
      {"framed-zero-tail", framed(kLastSegment | kZeroTail, 600, records)},
      {"framed-cut-last", framed(kLastSegment, 9, records)},
      {"framed-cut-inner", framed(0, 300, records)},
      {"framed-snapshot-body", snapshot_framed},
  };
  for (const Seed& s : seeds) {
    if (!write_seed(dir, s.name, s.bytes)) return 1;
  }
  std::printf("regent_wal_record_seeds: wrote %zu seeds to %s\n", seeds.size(), dir.c_str());
  return 0;
}

}  // namespace
}  // namespace regent::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  return regent::fuzz::run(argv[1]);
}
