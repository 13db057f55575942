#include "storage/wal.h"

#include <fmt/format.h>

#include <algorithm>

#include "storage/file_names.h"

namespace regent::storage {

namespace {

constexpr std::string_view kSuffix = ".wal";
// Names the newest segment, so that losing it is noticed (nothing inside the log could tell).
constexpr std::string_view kLastName = "LAST";

std::string encode_preamble(const SegmentPreamble& p, uint64_t seq) {
  std::string out;
  append_record(out, RecordType::kSegmentHeader,
                encode_segment_header({.seq = seq,
                                       .first_index = p.first_index,
                                       .snapshot_index = p.newest_mark.index,
                                       .snapshot_term = p.newest_mark.term}));
  append_record(out, RecordType::kHardState, encode_hard_state(p.hard_state));
  return out;
}

}  // namespace

std::string segment_name(uint64_t seq, raft::Index first_index) {
  return hex_pair_name(seq, first_index, kSuffix);
}

std::string_view corruption_advice() {
  return "The member cannot start on this data. Do not edit the files: move the data "
         "directory aside (keep it for diagnosis), then remove this member from the cluster and "
         "add it back with an empty data directory; it catches up from the leader by snapshot.";
}

Wal::Wal(Fs& fs, std::string dir, const WalOptions& options, Logger& logger)
    : fs_(fs), dir_(std::move(dir)), options_(options), logger_(logger) {}

Wal::~Wal() = default;

Failure Wal::io_failure(const IoError& e) const {
  return Failure{FailureKind::kIo,
                 fmt::format("wal: {}. The disk failed the write-ahead log, so the member stops "
                             "rather than acknowledge anything; once the disk is healthy (free "
                             "space if it is full), start it again: it recovers from what is "
                             "on disk.",
                             e.message())};
}

Expected<std::unique_ptr<Wal>, Failure> Wal::open(Fs& fs, std::string dir,
                                                  const WalOptions& options, Logger& logger) {
  if (options.segment_bytes < 4096) {
    return unexpected(Failure{FailureKind::kInvalid,
                              fmt::format("wal: segment size {} is below the minimum of 4096 bytes",
                                          options.segment_bytes)});
  }
  std::unique_ptr<Wal> wal(new Wal(fs, std::move(dir), options, logger));
  auto recovered = wal->recover();
  if (!recovered) return unexpected(recovered.error());
  return wal;
}

Expected<void, Failure> Wal::recover() {
  if (auto made = fs_.create_dirs(dir_); !made) return unexpected(io_failure(made.error()));
  auto names = fs_.list(dir_);
  if (!names) return unexpected(io_failure(names.error()));
  for (const std::string& name : *names) {
    if (name == kLastName) continue;
    if (name.ends_with(kTmpSuffix)) {
      // A segment whose preamble never got synced and renamed: it holds nothing acknowledged.
      logger_.info("wal: removing unfinished segment {}", path(name));
      if (auto removed = fs_.remove(path(name)); !removed) {
        return unexpected(io_failure(removed.error()));
      }
      continue;
    }
    auto numbers = parse_hex_pair_name(name, kSuffix);
    if (!numbers) {
      logger_.warn("wal: ignoring unexpected file {}", path(name));
      continue;
    }
    if (!segments_.empty() && numbers->first != segments_.back().seq + 1) {
      return unexpected(Failure{
          FailureKind::kCorrupt,
          fmt::format("wal: segment number {:016x} is missing (found {} and then {} in {}): "
                      "part of the log was deleted. {}",
                      segments_.back().seq + 1, segments_.back().name, name, dir_,
                      corruption_advice())});
    }
    segments_.push_back(Segment{numbers->first, name, 0});
  }
  if (auto last = check_newest_present(); !last) return last;
  fresh_ = segments_.empty();
  for (size_t i = 0; i < segments_.size(); ++i) {
    auto done = recover_segment(segments_[i], i + 1 == segments_.size());
    if (!done) return done;
  }
  return {};
}

Expected<void, Failure> Wal::check_newest_present() {
  const std::string file = path(std::string(kLastName));
  auto present = fs_.exists(file);
  if (!present) return unexpected(io_failure(present.error()));
  if (!*present) return {};  // A crash before the first segment was recorded; nothing is lost.
  auto bytes = fs_.read_file(file);
  if (!bytes) return unexpected(io_failure(bytes.error()));
  std::optional<uint64_t> seq;
  if (bytes->size() == 17 && bytes->back() == '\n') seq = parse_hex16(bytes->substr(0, 16));
  if (!seq) {
    return unexpected(Failure{FailureKind::kCorrupt,
                              fmt::format("wal: {} is damaged: it should name the newest segment "
                                          "number in 16 hex digits. {}",
                                          file, corruption_advice())});
  }
  if (segments_.empty() || segments_.back().seq < *seq) {
    return unexpected(Failure{
        FailureKind::kCorrupt,
        fmt::format("wal: segment number {:016x} is missing from {}: {} names it as the newest, "
                    "so acknowledged entries were lost with it. {}",
                    *seq, dir_, file, corruption_advice())});
  }
  return {};
}

Expected<void, Failure> Wal::record_newest(uint64_t seq) {
  auto written =
      write_file_atomically(fs_, dir_, std::string(kLastName), fmt::format("{:016x}\n", seq));
  if (!written) return unexpected(io_failure(written.error()));
  other_syncs_ += 2;
  return {};
}

Expected<DecodedSegment, Failure> Wal::read_segment(const std::string& file, bool is_last) {
  auto written = fs_.read_written_part(file);
  if (!written) return unexpected(io_failure(written.error()));
  const bool whole = written->bytes.size() == written->size;
  buffers_.push_back(std::move(written->bytes));
  DecodedSegment decoded = decode_segment(buffers_.back(), is_last);
  // A clean end in the written part is a clean end of the segment: the records are the same,
  // and the zeros after the part only lengthen the all-zero run that follows them. Anything
  // else (a torn or corrupt record) is judged on the whole file, so that the torn-tail rules
  // see exactly the bytes they always saw.
  if (whole || decoded.end == SegmentEnd::kClean) return decoded;
  auto bytes = fs_.read_file(file);
  if (!bytes) return unexpected(io_failure(bytes.error()));
  buffers_.back() = std::move(*bytes);
  return decode_segment(buffers_.back(), is_last);
}

Expected<void, Failure> Wal::recover_segment(const Segment& segment, bool is_last) {
  const std::string file = path(segment.name);
  auto read = read_segment(file, is_last);
  if (!read) return unexpected(read.error());
  DecodedSegment& decoded = *read;
  const std::string& buffer = buffers_.back();
  auto corrupt = [&](uint64_t offset, std::string_view what) {
    return unexpected(
        Failure{FailureKind::kCorrupt, fmt::format("wal: {} is corrupt at offset {}: {}. {}", file,
                                                   offset, what, corruption_advice())});
  };
  if (decoded.end == SegmentEnd::kCorrupt) return corrupt(decoded.end_offset, decoded.problem);
  if (decoded.records.empty() || decoded.records.front().type != RecordType::kSegmentHeader) {
    return corrupt(0, "the segment does not start with a segment header");
  }
  auto header = decode_segment_header(decoded.records.front().payload);
  if (!header || header->seq != segment.seq) {
    return corrupt(0, "bad segment header (wrong number or format)");
  }
  Segment& mine = segments_[&segment - segments_.data()];
  for (const Record& r : decoded.records) {
    if (r.type == RecordType::kEntry) {
      std::optional<raft::Index> index = peek_entry_index(r.payload);
      if (!index) return corrupt(r.offset, "unreadable entry record");
      mine.max_index = std::max(mine.max_index, *index);
    }
    recovered_.push_back(WalRecord{r.type, r.payload, segment.name, r.offset});
  }
  if (!is_last) return {};
  if (decoded.end == SegmentEnd::kTorn) {
    torn_tail_ = fmt::format("{} at offset {}: {}", file, decoded.end_offset, decoded.problem);
    logger_.warn(
        "wal: torn tail in {} at offset {} ({}): cutting off the last {} bytes ({} valid records "
        "after it, no sync point), a write that a crash interrupted before it was synced",
        file, decoded.end_offset, decoded.problem, buffer.size() - decoded.end_offset,
        decoded.records_cut);
    auto cut = cut_torn_tail(file, decoded.end_offset);
    if (!cut) return cut;
  }
  auto opened = fs_.open(file, OpenMode::kExisting);
  if (!opened) return unexpected(io_failure(opened.error()));
  file_ = std::move(*opened);
  offset_ = decoded.end_offset;
  auto size = file_->size();
  if (!size) return unexpected(io_failure(size.error()));
  file_bytes_ = std::max(*size, offset_);
  preamble_end_ = decoded.records.size() > 1 ? decoded.records[1].offset + kRecordHeaderBytes +
                                                   decoded.records[1].payload.size()
                                             : offset_;
  return {};
}

Expected<void, Failure> Wal::cut_torn_tail(const std::string& file, uint64_t offset) {
  auto opened = fs_.open(file, OpenMode::kExisting);
  if (!opened) return unexpected(io_failure(opened.error()));
  File& f = **opened;
  auto size = f.size();
  if (!size) return unexpected(io_failure(size.error()));
  // Truncate, then re-extend: the cut-off bytes come back as zeros, so the next torn write
  // cannot mix with them. Synced before anything new is written after them.
  if (auto t = f.truncate(offset); !t) return unexpected(io_failure(t.error()));
  if (auto a = f.allocate(*size); !a) return unexpected(io_failure(a.error()));
  if (auto s = f.sync(); !s) return unexpected(io_failure(s.error()));
  ++other_syncs_;
  return {};
}

void Wal::release_recovered() {
  recovered_.clear();
  recovered_.shrink_to_fit();
  buffers_.clear();
  buffers_.shrink_to_fit();
}

std::vector<std::string> Wal::segment_names() const {
  std::vector<std::string> names;
  for (const Segment& s : segments_) names.push_back(s.name);
  return names;
}

Expected<void, Failure> Wal::create_first(const SegmentPreamble& preamble) {
  REGENT_ASSERT(segments_.empty(), "wal: create_first on a log that has segments");
  return roll(preamble);
}

Expected<void, Failure> Wal::roll(const SegmentPreamble& preamble) {
  if (file_ && unsynced_) {
    // The old segment must be durable before a newer one exists: recovery trusts every
    // segment but the newest to be complete.
    auto synced = sync();
    if (!synced) return synced;
  }
  if (file_) {
    // Give back the unused preallocation; its data is synced, the size change need not be.
    if (auto t = file_->truncate(offset_); !t) return unexpected(io_failure(t.error()));
  }
  const uint64_t seq = segments_.empty() ? 1 : segments_.back().seq + 1;
  const std::string name = segment_name(seq, preamble.first_index);
  const std::string tmp = path(name) + std::string(kTmpSuffix);
  auto opened = fs_.open(tmp, OpenMode::kCreate);
  if (!opened) return unexpected(io_failure(opened.error()));
  std::unique_ptr<File> f = std::move(*opened);
  if (options_.preallocate) {
    if (auto a = f->allocate(options_.segment_bytes); !a) return unexpected(io_failure(a.error()));
  }
  const std::string head = encode_preamble(preamble, seq);
  if (auto w = f->write_at(0, head); !w) return unexpected(io_failure(w.error()));
  if (auto s = f->sync(); !s) return unexpected(io_failure(s.error()));
  if (auto r = fs_.rename(tmp, path(name)); !r) return unexpected(io_failure(r.error()));
  if (auto d = fs_.sync_dir(dir_); !d) return unexpected(io_failure(d.error()));
  other_syncs_ += 2;
  // Reopened by its final name, so that any later error names the file an operator will find.
  auto reopened = fs_.open(path(name), OpenMode::kExisting);
  if (!reopened) return unexpected(io_failure(reopened.error()));
  f = std::move(*reopened);
  ++segments_created_;
  segments_.push_back(Segment{seq, name, 0});
  // After the segment is durable: a crash in between leaves LAST one behind, which is harmless.
  if (auto recorded = record_newest(seq); !recorded) return recorded;
  file_ = std::move(f);
  offset_ = head.size();
  file_bytes_ =
      options_.preallocate ? std::max<uint64_t>(options_.segment_bytes, offset_) : offset_;
  preamble_end_ = offset_;
  unsynced_ = false;
  return {};
}

Expected<void, Failure> Wal::write(std::string_view batch, raft::Index max_index,
                                   const SegmentPreamble& preamble) {
  REGENT_ASSERT(file_ != nullptr, "wal: write before the log was opened or created");
  if (offset_ > preamble_end_ &&
      offset_ + kRecordHeaderBytes + batch.size() > options_.segment_bytes) {
    auto rolled = roll(preamble);
    if (!rolled) return rolled;
  }
  if (!unsynced_) {
    // The first write since a sync: what follows the sync point is all that a crash may tear
    // (record.h, "Torn writes").
    static const std::string kSyncPointRecord = [] {
      std::string r;
      append_record(r, RecordType::kSyncPoint, {});
      return r;
    }();
    if (auto w = file_->write_at(offset_, kSyncPointRecord); !w) {
      return unexpected(io_failure(w.error()));
    }
    offset_ += kSyncPointRecord.size();
  }
  if (auto w = file_->write_at(offset_, batch); !w) return unexpected(io_failure(w.error()));
  offset_ += batch.size();
  file_bytes_ = std::max(file_bytes_, offset_);
  unsynced_ = true;
  segments_.back().max_index = std::max(segments_.back().max_index, max_index);
  return {};
}

Expected<void, Failure> Wal::sync() {
  if (!unsynced_) return {};
  return finish_sync(sync_file());
}

IoStatus Wal::sync_file() { return file_->sync(); }

Expected<void, Failure> Wal::finish_sync(const IoStatus& synced) {
  if (!synced) return unexpected(io_failure(synced.error()));
  ++wal_syncs_;
  unsynced_ = false;
  return {};
}

Expected<void, Failure> Wal::remove_before(raft::Index index, std::vector<std::string>* later) {
  size_t removable = 0;
  while (removable + 1 < segments_.size() && segments_[removable].max_index <= index) ++removable;
  if (removable == 0) return {};
  if (later != nullptr) {
    for (size_t i = 0; i < removable; ++i) later->push_back(path(segments_[i].name));
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(removable));
    segments_removed_ += removable;
    return {};
  }
  // Oldest first: a crash midway leaves a consecutive run of segments, as recovery requires.
  for (size_t i = 0; i < removable; ++i) {
    if (auto r = fs_.remove(path(segments_[i].name)); !r) {
      return unexpected(io_failure(r.error()));
    }
    logger_.info("wal: removed {} (every entry in it is before index {})", path(segments_[i].name),
                 index);
  }
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(removable));
  segments_removed_ += removable;
  if (auto d = fs_.sync_dir(dir_); !d) return unexpected(io_failure(d.error()));
  ++other_syncs_;
  return {};
}

}  // namespace regent::storage
