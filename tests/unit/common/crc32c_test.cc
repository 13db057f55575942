// CRC-32C: the known check values, and the instruction path equal to the table path for every
// length and alignment, whole or in pieces (a record checksummed on write by one path must verify
// on read by the other, on another machine).
#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/prng.h"

namespace regent {
namespace {

TEST(Crc32c, KnownValues) {
  struct Case {
    std::string input;
    uint32_t want;
  };
  const std::vector<Case> cases = {
      {"", 0x00000000u},
      {"123456789", 0xE3069283u},
      {std::string(32, '\0'), 0x8A9136AAu},    // RFC 3720, B.4: 32 bytes of zeros.
      {std::string(32, '\xff'), 0x62A8AB43u},  // RFC 3720, B.4: 32 bytes of ones.
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input.size());
    EXPECT_EQ(crc32c(c.input), c.want);
    EXPECT_EQ(crc32c_extend_portable(kCrc32cInit, c.input.data(), c.input.size()) ^ kCrc32cInit,
              c.want);
  }
}

TEST(Crc32c, EveryLengthAndAlignmentAgreesWithTheTable) {
  Prng prng(42);
  std::string bytes(4096 + 16, '\0');
  for (char& b : bytes) b = static_cast<char>(prng.uniform(256));
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t size : {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 511, 512, 513, 4096}) {
      const char* p = bytes.data() + offset;
      ASSERT_EQ(crc32c_extend(kCrc32cInit, p, size), crc32c_extend_portable(kCrc32cInit, p, size))
          << "offset " << offset << " size " << size;
    }
  }
}

TEST(Crc32c, StreamingInPiecesEqualsOneCall) {
  const std::string text = "a record framed and checksummed in pieces of odd sizes";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Crc32c crc;
    crc.process_bytes(text.data(), cut);
    crc.process_bytes(text.data() + cut, text.size() - cut);
    EXPECT_EQ(crc.checksum(), crc32c(text)) << "cut at " << cut;
  }
}

TEST(Crc32c, ThisMachineUsesTheInstruction) {
  // Every x86-64 machine Regent is built for has SSE4.2 (2008 on); if this fails, checksums
  // still agree, only slower: the point is to notice the fallback being chosen by mistake.
#if defined(__x86_64__)
  EXPECT_TRUE(crc32c_uses_hardware());
#else
  EXPECT_FALSE(crc32c_uses_hardware()) << "only x86-64 has the instruction path";
#endif
}

}  // namespace
}  // namespace regent
