// The bytes of one kept change of a key, shared by the image and HashKV:
//   varint main, varint sub, u8 kind (0 put, 1 tombstone), and for a put:
//   varint create_revision, varint version, fixed64 lease (two's complement), varint value
//   length, value.
#pragma once

#include <optional>
#include <string>

#include "common/bytes.h"
#include "kv/key_index.h"

namespace regent::kv {

void put_record(std::string& out, const Record& r);
// nullopt if the bytes are cut off or not a record (negative revisions, an unknown kind).
std::optional<Record> read_record(ByteReader& in);

}  // namespace regent::kv
