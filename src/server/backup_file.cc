#include "server/backup_file.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "common/assert.h"
#include "common/bytes.h"

namespace regent::server {

namespace {

constexpr size_t kHeadBytes = 8 + 4 + 8 + 8;
constexpr size_t kBlock = 512;
constexpr size_t kShaBytes = 32;

std::string sha256(std::initializer_list<std::string_view> parts) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string digest(kShaBytes, '\0');
  unsigned int size = 0;
  const bool ok =
      ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
      std::all_of(parts.begin(), parts.end(),
                  [&](std::string_view p) {
                    return EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1;
                  }) &&
      EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(digest.data()), &size) == 1;
  REGENT_ASSERT(ok && size == kShaBytes, "OpenSSL's SHA-256 failed");
  return digest;
}

}  // namespace

std::string backup_head(int64_t revision, uint64_t image_size) {
  std::string head(kBackupMagic);
  put_fixed32(head, kBackupVersion);
  put_fixed64(head, static_cast<uint64_t>(revision));
  put_fixed64(head, image_size);
  return head;
}

std::string backup_tail(std::string_view head, std::string_view image) {
  const size_t used = (head.size() + image.size()) % kBlock;
  const std::string zeros(used == 0 ? 0 : kBlock - used, '\0');
  return zeros + sha256({head, image, zeros});
}

std::string encode_backup(int64_t revision, std::string_view image) {
  std::string file = backup_head(revision, image.size());
  const std::string tail = backup_tail(file, image);
  file.append(image);
  file += tail;
  return file;
}

Expected<Backup, std::string> decode_backup(std::string_view file) {
  if (file.size() < kBackupMagic.size() || file.substr(0, kBackupMagic.size()) != kBackupMagic) {
    return unexpected(std::string(
        "not a Regent backup (it does not begin with RGBACKUP; an etcd snapshot is a bbolt "
        "file, which Regent cannot read)"));
  }
  if (file.size() < kHeadBytes + kShaBytes || (file.size() - kShaBytes) % kBlock != 0) {
    return unexpected(fmt::format(
        "truncated (or grown): {} bytes is not the length of a whole backup (a multiple of {} "
        "plus {})",
        file.size(), kBlock, kShaBytes));
  }
  const std::string_view body = file.substr(0, file.size() - kShaBytes);
  if (sha256({body}) != file.substr(body.size())) {
    return unexpected(std::string("damaged: its SHA-256 does not match its contents"));
  }
  ByteReader in(file.substr(kBackupMagic.size()));
  const uint32_t version = *in.fixed32();
  const auto revision = static_cast<int64_t>(*in.fixed64());
  const uint64_t image_size = *in.fixed64();
  if (version != kBackupVersion) {
    return unexpected(fmt::format("written in backup format version {}; this Regent reads {}",
                                  version, kBackupVersion));
  }
  const uint64_t room = body.size() - kHeadBytes;
  if (image_size > room || room - image_size >= kBlock ||
      !std::all_of(body.begin() + static_cast<ptrdiff_t>(kHeadBytes + image_size), body.end(),
                   [](char c) { return c == '\0'; })) {
    return unexpected(
        fmt::format("damaged: its header announces {} bytes of image where {} bytes are left",
                    image_size, room));
  }
  return Backup{.revision = revision, .image = file.substr(kHeadBytes, image_size)};
}

Expected<std::string, std::string> image_with_members(
    std::string_view image, const std::vector<regentpb::Member>& members) {
  regentpb::SnapshotData data;
  if (!data.ParseFromArray(image.data(), static_cast<int>(image.size()))) {
    return unexpected(std::string("the backup's image is not a Regent state machine image"));
  }
  data.clear_members();
  for (const regentpb::Member& m : members) *data.add_members() = m;
  return data.SerializeAsString();
}

}  // namespace regent::server
