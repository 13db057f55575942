// CRC-32C (Castagnoli), the checksum of every WAL record and snapshot file. Boost.CRC computes
// it; this header fixes the parameters in one place.
#pragma once

#include <cstdint>
#include <string_view>

namespace regent::storage {

// crc32c("123456789") == 0xE3069283.
uint32_t crc32c(std::string_view data);

}  // namespace regent::storage
