#include "storage/codec.h"

#include <fmt/format.h>

#include "common/bytes.h"
#include "common/crc32c.h"

namespace regent::storage {

namespace {

constexpr std::string_view kSnapshotMagic = "RGSNAP01";
constexpr uint64_t kSegmentVersion = 1;

void put_ids(std::string& out, const std::set<raft::NodeId>& ids) {
  put_varint(out, ids.size());
  for (raft::NodeId id : ids) put_varint(out, id);
}

std::optional<std::set<raft::NodeId>> read_ids(ByteReader& r) {
  std::optional<uint64_t> count = r.varint();
  // Each id takes at least one byte: a count beyond what is left is a lie.
  if (!count || *count > r.remaining()) return std::nullopt;
  std::set<raft::NodeId> ids;
  for (uint64_t i = 0; i < *count; ++i) {
    std::optional<uint64_t> id = r.varint();
    if (!id) return std::nullopt;
    ids.insert(*id);
  }
  return ids;
}

}  // namespace

std::string encode_segment_header(const SegmentHeader& h) {
  std::string out;
  put_varint(out, h.version);
  put_varint(out, h.seq);
  put_varint(out, h.first_index);
  put_varint(out, h.snapshot_index);
  put_varint(out, h.snapshot_term);
  return out;
}

std::optional<SegmentHeader> decode_segment_header(std::string_view bytes) {
  ByteReader r(bytes);
  auto version = r.varint();
  auto seq = r.varint();
  auto first = r.varint();
  auto snap_index = r.varint();
  auto snap_term = r.varint();
  if (!version || *version != kSegmentVersion || !seq || !first || !snap_index || !snap_term ||
      r.remaining() != 0) {
    return std::nullopt;
  }
  return SegmentHeader{*version, *seq, *first, *snap_index, *snap_term};
}

void encode_entry_to(std::string& out, const raft::Entry& e) {
  put_varint(out, e.index);
  put_varint(out, e.term);
  out.push_back(static_cast<char>(e.type));
  out.append(e.data);
}

std::string encode_entry(const raft::Entry& e) {
  std::string out;
  out.reserve(e.data.size() + 2 * kMaxVarintBytes + 1);
  encode_entry_to(out, e);
  return out;
}

std::optional<EntryHead> decode_entry_head(std::string_view bytes) {
  ByteReader r(bytes);
  auto index = r.varint();
  auto term = r.varint();
  auto type = r.byte();
  if (!index || !term || !type || *type > static_cast<uint8_t>(raft::EntryType::kConfChange) ||
      *index == 0 || *index > raft::kMaxIndex) {
    return std::nullopt;
  }
  EntryHead head;
  head.entry.index = *index;
  head.entry.term = *term;
  head.entry.type = static_cast<raft::EntryType>(*type);
  head.data = *r.bytes(r.remaining());
  return head;
}

std::optional<raft::Entry> decode_entry(std::string_view bytes) {
  auto head = decode_entry_head(bytes);
  if (!head) return std::nullopt;
  head->entry.data = std::string(head->data);
  return std::move(head->entry);
}

std::optional<raft::Index> peek_entry_index(std::string_view bytes) {
  ByteReader r(bytes);
  return r.varint();
}

std::string encode_hard_state(const raft::HardState& hs) {
  std::string out;
  put_varint(out, hs.term);
  put_varint(out, hs.vote);
  put_varint(out, hs.commit);
  return out;
}

std::optional<raft::HardState> decode_hard_state(std::string_view bytes) {
  ByteReader r(bytes);
  auto term = r.varint();
  auto vote = r.varint();
  auto commit = r.varint();
  if (!term || !vote || !commit || r.remaining() != 0) return std::nullopt;
  return raft::HardState{*term, *vote, *commit};
}

std::string encode_snapshot_mark(const SnapshotMark& m) {
  std::string out;
  put_varint(out, m.index);
  put_varint(out, m.term);
  out.push_back(m.replaces_log ? 1 : 0);
  return out;
}

std::optional<SnapshotMark> decode_snapshot_mark(std::string_view bytes) {
  ByteReader r(bytes);
  auto index = r.varint();
  auto term = r.varint();
  auto replaces_log = r.byte();
  if (!index || !term || !replaces_log || *replaces_log > 1 || r.remaining() != 0) {
    return std::nullopt;
  }
  return SnapshotMark{*index, *term, *replaces_log == 1};
}

std::string encode_snapshot_file(const raft::Snapshot& s) {
  std::string body;
  put_varint(body, s.metadata.index);
  put_varint(body, s.metadata.term);
  const raft::ConfState& cs = s.metadata.conf_state;
  put_ids(body, cs.voters);
  put_ids(body, cs.learners);
  put_ids(body, cs.voters_outgoing);
  put_ids(body, cs.learners_next);
  body.push_back(cs.auto_leave ? 1 : 0);
  put_varint(body, s.data.size());
  body.append(s.data);
  std::string out(kSnapshotMagic);
  put_fixed32(out, crc32c(body));
  out.append(body);
  return out;
}

Expected<raft::Snapshot, SnapshotFileError> decode_snapshot_file(std::string_view bytes) {
  auto fail = [](std::string what) { return unexpected(SnapshotFileError{std::move(what)}); };
  if (bytes.size() < kSnapshotMagic.size() + 4) {
    return fail(fmt::format("file too short ({} bytes)", bytes.size()));
  }
  if (bytes.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) return fail("bad magic");
  const uint32_t stored = load_fixed32(bytes.data() + kSnapshotMagic.size());
  const std::string_view body = bytes.substr(kSnapshotMagic.size() + 4);
  const uint32_t computed = crc32c(body);
  if (stored != computed) {
    return fail(
        fmt::format("checksum mismatch (stored {:#010x}, computed {:#010x})", stored, computed));
  }
  ByteReader r(body);
  raft::Snapshot s;
  auto index = r.varint();
  auto term = r.varint();
  if (!index || !term) return fail("bad metadata");
  s.metadata.index = *index;
  s.metadata.term = *term;
  raft::ConfState& cs = s.metadata.conf_state;
  for (std::set<raft::NodeId>* ids :
       {&cs.voters, &cs.learners, &cs.voters_outgoing, &cs.learners_next}) {
    auto read = read_ids(r);
    if (!read) return fail("bad membership");
    *ids = std::move(*read);
  }
  auto auto_leave = r.byte();
  auto size = r.varint();
  if (!auto_leave || *auto_leave > 1 || !size) return fail("bad membership");
  cs.auto_leave = *auto_leave == 1;
  auto data = r.bytes(*size);
  if (!data || r.remaining() != 0) return fail("data length does not match the file");
  s.data = std::string(*data);
  return s;
}

}  // namespace regent::storage
