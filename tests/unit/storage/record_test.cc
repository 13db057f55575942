// Record framing: round trips, where decoding stops, and which bad records count as a torn tail
// (cut off, with a sector never written) versus corruption.
#include "storage/record.h"

#include <gtest/gtest.h>

#include <string>

#include "common/crc32c.h"

namespace regent::storage {
namespace {

std::string segment_of(const std::vector<std::string>& payloads, size_t zeros_after = 0) {
  std::string out;
  for (const std::string& p : payloads) append_record(out, RecordType::kEntry, p);
  out.append(zeros_after, '\0');
  return out;
}

TEST(Crc32cTest, MatchesTheStandardCheckValues) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
}

TEST(RecordTest, RoundTripsRecordsAndStopsCleanlyAtTheZeroTail) {
  const std::string bytes = segment_of({"alpha", "", std::string(1000, 'x')}, 4096);
  DecodedSegment d = decode_segment(bytes, /*is_last_segment=*/true);
  ASSERT_EQ(d.end, SegmentEnd::kClean);
  ASSERT_EQ(d.records.size(), 3u);
  EXPECT_EQ(d.records[0].payload, "alpha");
  EXPECT_EQ(d.records[1].payload, "");
  EXPECT_EQ(d.records[2].payload, std::string(1000, 'x'));
  EXPECT_EQ(d.records[1].offset, kRecordHeaderBytes + 5);
  EXPECT_EQ(d.end_offset, bytes.size() - 4096);
}

TEST(RecordTest, EmptyAndAllZeroSegmentsHoldNothing) {
  EXPECT_EQ(decode_segment("", true).end, SegmentEnd::kClean);
  DecodedSegment d = decode_segment(std::string(10000, '\0'), false);
  EXPECT_EQ(d.end, SegmentEnd::kClean);
  EXPECT_TRUE(d.records.empty());
}

TEST(RecordTest, ARecordCutOffByTheEndOfTheFileIsATornTailOnlyInTheLastSegment) {
  std::string bytes = segment_of({"first", std::string(300, 'y')});
  const uint64_t second = kRecordHeaderBytes + 5;
  bytes.resize(bytes.size() - 100);
  DecodedSegment last = decode_segment(bytes, true);
  EXPECT_EQ(last.end, SegmentEnd::kTorn);
  EXPECT_EQ(last.end_offset, second);
  EXPECT_EQ(last.records.size(), 1u);
  EXPECT_NE(last.problem.find("cut off"), std::string::npos) << last.problem;

  DecodedSegment earlier = decode_segment(bytes, false);
  EXPECT_EQ(earlier.end, SegmentEnd::kCorrupt);
  EXPECT_EQ(earlier.end_offset, second);
}

TEST(RecordTest, AnUnwrittenSectorInsideTheLastRecordIsATornTail) {
  // A 2000-byte record spans several sectors; the crash kept all but the second.
  std::string bytes = segment_of({"head", std::string(2000, 'z')}, 1024);
  const uint64_t record = kRecordHeaderBytes + 4;
  std::fill(bytes.begin() + 1024, bytes.begin() + 1536, '\0');
  DecodedSegment d = decode_segment(bytes, true);
  EXPECT_EQ(d.end, SegmentEnd::kTorn);
  EXPECT_EQ(d.end_offset, record);
  EXPECT_NE(d.problem.find("checksum mismatch"), std::string::npos) << d.problem;
}

TEST(RecordTest, AZeroedHeaderFollowedByWrittenSectorsIsATornTail) {
  std::string bytes = segment_of({"head", std::string(2000, 'z')}, 1024);
  std::fill(bytes.begin() + kRecordHeaderBytes + 4, bytes.begin() + 512, '\0');
  DecodedSegment d = decode_segment(bytes, true);
  EXPECT_EQ(d.end, SegmentEnd::kTorn);
  EXPECT_EQ(d.records.size(), 1u);
}

TEST(RecordTest, AFlippedPayloadBitIsCorruptionEvenInTheLastSegment) {
  std::string bytes = segment_of({"one", std::string(700, 'p'), "three"}, 512);
  const uint64_t second = kRecordHeaderBytes + 3;
  bytes[second + kRecordHeaderBytes + 350] ^= 0x10;
  for (bool last : {true, false}) {
    DecodedSegment d = decode_segment(bytes, last);
    EXPECT_EQ(d.end, SegmentEnd::kCorrupt) << "last=" << last;
    EXPECT_EQ(d.end_offset, second);
    EXPECT_EQ(d.records.size(), 1u);
    EXPECT_NE(d.problem.find("checksum mismatch"), std::string::npos) << d.problem;
  }
}

TEST(RecordTest, AFlippedLengthBitIsCaughtByTheHeaderCheck) {
  std::string bytes = segment_of({"one", "two", "three"}, 512);
  bytes[kRecordHeaderBytes + 3 + 4] ^= 0x04;  // The second record's length.
  DecodedSegment d = decode_segment(bytes, true);
  EXPECT_EQ(d.end, SegmentEnd::kCorrupt);
  EXPECT_NE(d.problem.find("header"), std::string::npos) << d.problem;
}

TEST(RecordTest, ImpossibleTypesAndLengthsAreRejectedWithoutReadingThem) {
  std::string bad_type;
  append_record(bad_type, static_cast<RecordType>(9), "x");
  EXPECT_EQ(decode_segment(bad_type + std::string(512, 'q'), false).end, SegmentEnd::kCorrupt);

  // A well-formed header claiming 4 GiB: refused by the length limit, nothing allocated.
  std::string huge;
  append_record(huge, RecordType::kEntry, "");
  huge[4] = huge[5] = huge[6] = huge[7] = static_cast<char>(0xff);
  DecodedSegment d = decode_segment(huge + "more", false);
  EXPECT_EQ(d.end, SegmentEnd::kCorrupt);
}

TEST(RecordTest, GarbageAfterTheZeroTailIsCorruption) {
  // Zeros, then data again: not a clean end, and no torn write leaves a zero header mid-file in
  // an earlier segment.
  std::string bytes = segment_of({"a"}, 2048);
  bytes += "garbage that is not a record";
  EXPECT_EQ(decode_segment(bytes, false).end, SegmentEnd::kCorrupt);
}

}  // namespace
}  // namespace regent::storage
