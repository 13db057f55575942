// regent-corrupt-snapshot FILE OLD NEW: rewrites one member's snapshot file so that the store it
// holds has NEW where it had OLD (same length) in a value, with every checksum made valid again
// (the store image's and the file's), as a disk or a bug that returned other bytes than were
// written and slipped past the checksums would. The member then starts, and only comparing its
// store with its peers' (server/host/corruption_check.h) can tell. For tests only.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "common/bytes.h"
#include "common/crc32c.h"
#include "kv/image_codec.h"
#include "regentpb/request.pb.h"
#include "storage/codec.h"

namespace {

int fail(const std::string& why) {
  std::fprintf(stderr, "regent-corrupt-snapshot: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace regent;
  if (argc != 4) return fail("usage: regent-corrupt-snapshot FILE OLD NEW (OLD, NEW same length)");
  const std::string path = argv[1], from = argv[2], to = argv[3];
  if (from.size() != to.size() || from.empty()) return fail("OLD and NEW must be equally long");
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto snapshot = storage::decode_snapshot_file(bytes.str());
  if (!snapshot) return fail(path + ": " + snapshot.error().what);
  regentpb::SnapshotData data;
  if (!data.ParseFromString(snapshot->data)) return fail(path + ": not a Regent snapshot");
  std::string image = data.kv_image();
  const size_t at = image.find(from);
  if (at == std::string::npos) return fail("the store image does not hold \"" + from + "\"");
  image.replace(at, to.size(), to);
  // Magic, a one-byte varint version, then the body's CRC-32C (image.cc).
  const size_t crc_at = kv::kImageMagic.size() + 1;
  std::string crc;
  put_fixed32(crc, crc32c(std::string_view(image).substr(crc_at + 4)));
  image.replace(crc_at, 4, crc);
  data.set_kv_image(image);
  snapshot->data = data.SerializeAsString();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << storage::encode_snapshot_file(*snapshot);
  if (!out.flush()) return fail("cannot write " + path);
  std::printf("%s: \"%s\" replaced by \"%s\" at byte %zu of the store image\n", path.c_str(),
              from.c_str(), to.c_str(), at);
  return 0;
}
