#include "storage/crc32c.h"

#include <boost/crc.hpp>

namespace regent::storage {

uint32_t crc32c(std::string_view data) {
  // Polynomial 0x1EDC6F41, reflected, all-ones initial value and final xor (RFC 3720).
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

}  // namespace regent::storage
