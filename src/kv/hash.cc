// Maintenance.HashKV: a checksum of the store's history, to compare members.
#include <string>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "kv/record_codec.h"
#include "kv/store.h"

namespace regent::kv {

// Like etcd: a revision at or before the compacted one is refused (its history is partial).
Expected<HashKvResponse, Error> Store::hash_kv(int64_t revision) const {
  if (revision > 0 && revision <= compact_revision_) return unexpected(compacted());
  if (revision > revision_) return unexpected(future_revision());
  const int64_t at = revision > 0 ? revision : revision_;
  Crc32c crc;
  std::string buf;
  for (const auto& [key, index] : keys_) {
    for (const Record& r : index.records()) {
      if (r.rev.main > at) break;
      buf.clear();
      put_varint(buf, key.size());
      buf.append(key);
      put_record(buf, r);
      crc.process_bytes(buf.data(), buf.size());
    }
  }
  return HashKvResponse{
      .revision = revision_, .hash = crc.checksum(), .compact_revision = compact_revision_};
}

uint32_t Store::hash() const { return hash_kv(0)->hash; }

}  // namespace regent::kv
