// CRC-32C (Castagnoli; polynomial 0x1EDC6F41, reflected, all-ones initial value and final xor,
// RFC 3720), the checksum of the store's image and of HashKV. Streaming: process_bytes() as
// often as needed, then checksum(). Boost.CRC computes it; check value: "123456789" -> E3069283.
#pragma once

#include <boost/crc.hpp>

namespace regent::kv {

using Crc32c = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

}  // namespace regent::kv
