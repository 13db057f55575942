// The backup file (server/backup_file.h): what is written is read back exactly, and a file cut
// short, grown, or changed anywhere is refused with the reason, never half-read.
#include "server/backup_file.h"

#include <gtest/gtest.h>

#include <string>

#include "server/node/state_machine.h"

namespace regent::server {
namespace {

std::string some_image() {
  StateMachine machine;
  regentpb::InternalRequest put;
  for (int i = 0; i < 50; ++i) {
    put.mutable_put()->set_key("key-" + std::to_string(i));
    put.mutable_put()->set_value(std::string(40, static_cast<char>('a' + i % 26)));
    EXPECT_TRUE(machine.apply(put).has_value());
  }
  return machine.image();
}

TEST(BackupFileTest, WhatIsWrittenIsReadBackWithItsRevision) {
  const std::string image = some_image();
  const std::string file = encode_backup(50, image);
  EXPECT_EQ((file.size() - 32) % 512, 0u) << "etcdctl's `snapshot save` wants this length";
  auto backup = decode_backup(file);
  ASSERT_TRUE(backup.has_value()) << backup.error();
  EXPECT_EQ(backup->revision, 50);
  EXPECT_EQ(backup->image, image);
}

TEST(BackupFileTest, HeadPlusImagePlusTailIsTheWholeFile) {
  const std::string image = some_image();
  const std::string head = backup_head(7, image.size());
  EXPECT_EQ(head + image + backup_tail(head, image), encode_backup(7, image));
}

TEST(BackupFileTest, EveryShorterOrLongerFileIsRefusedAsTruncated) {
  const std::string file = encode_backup(3, some_image());
  for (size_t cut = 1; cut < file.size(); cut += 97) {
    auto decoded = decode_backup(file.substr(0, file.size() - cut));
    ASSERT_FALSE(decoded.has_value()) << "cut " << cut;
    EXPECT_NE(decoded.error().find(cut < file.size() - 7 ? "truncated" : "not a Regent backup"),
              std::string::npos)
        << decoded.error();
  }
  EXPECT_FALSE(decode_backup(file + "x").has_value());
}

TEST(BackupFileTest, AChangedByteAnywhereIsRefusedAsDamaged) {
  const std::string file = encode_backup(3, some_image());
  for (size_t at = 8; at < file.size(); at += 61) {
    std::string changed = file;
    changed[at] = static_cast<char>(changed[at] ^ 0x10);
    auto decoded = decode_backup(changed);
    ASSERT_FALSE(decoded.has_value()) << "byte " << at;
    EXPECT_NE(decoded.error().find("damaged"), std::string::npos) << decoded.error();
  }
}

TEST(BackupFileTest, AnEtcdSnapshotIsRefusedForWhatItIs) {
  std::string bbolt(4096 + 32, '\0');  // An etcd snapshot: bbolt pages, then its SHA-256.
  auto decoded = decode_backup(bbolt);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_NE(decoded.error().find("not a Regent backup"), std::string::npos);
}

TEST(BackupFileTest, RestoredImagesCarryTheNewMembersAndTheSameStore) {
  const std::string image = some_image();
  regentpb::Member m;
  m.set_id(42);
  m.set_name("n1");
  auto with = image_with_members(image, {m});
  ASSERT_TRUE(with.has_value());
  StateMachine restored;
  ASSERT_TRUE(restored.restore(*with).has_value());
  ASSERT_EQ(restored.members().size(), 1u);
  EXPECT_EQ(restored.members()[0].id(), 42u);
  StateMachine original;
  ASSERT_TRUE(original.restore(image).has_value());
  EXPECT_EQ(restored.revision(), original.revision());
  EXPECT_FALSE(image_with_members("not protobuf \xff\xff", {m}).has_value());
}

}  // namespace
}  // namespace regent::server
