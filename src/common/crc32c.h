// CRC-32C (Castagnoli: polynomial 0x1EDC6F41, reflected, all-ones initial value and final xor,
// RFC 3720), the checksum of every format of ours on disk: WAL records, snapshot files, the
// store's image, and HashKV. Boost.CRC computes it; this header fixes the parameters once.
#pragma once

#include <boost/crc.hpp>
#include <cstdint>
#include <string_view>

namespace regent {

// Streaming: process_bytes() as often as needed, then checksum().
using Crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

// crc32c("123456789") == 0xE3069283.
inline uint32_t crc32c(std::string_view data) {
  Crc32c crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

}  // namespace regent
