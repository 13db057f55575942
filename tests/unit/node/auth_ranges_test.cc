// covers(): a request is allowed only when the permissions granting the access cover all of its
// keys, one key, a range or everything from a key on, as etcd's range permission cache decides.
#include "server/node/auth_ranges.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace regent::server {
namespace {

using regentpb::AuthPermissionType;
using regentpb::READ;
using regentpb::READWRITE;
using regentpb::WRITE;

const std::string kFromKey(1, '\0');  // range_end "\0": every key from `key` on.

regentpb::AuthPermission perm(AuthPermissionType type, const std::string& key,
                              const std::string& range_end) {
  regentpb::AuthPermission p;
  p.set_type(type);
  p.set_key(key);
  p.set_range_end(range_end);
  return p;
}

struct Case {
  const char* name;
  std::vector<regentpb::AuthPermission> perms;
  AuthPermissionType need;
  std::string key;
  std::string range_end;
  bool allowed;
};

TEST(AuthRangesTest, CoversAsEtcd) {
  const std::vector<Case> cases = {
      {"nothing granted", {}, READ, "a", "", false},
      {"one key, that key", {perm(READ, "a", "")}, READ, "a", "", true},
      {"one key, another key", {perm(READ, "a", "")}, READ, "b", "", false},
      {"one key does not grant its prefix range", {perm(READ, "a", "")}, READ, "a", "b", false},
      {"prefix covers a key in it", {perm(READ, "/a/", "/a0")}, READ, "/a/x", "", true},
      {"prefix does not cover a key after it", {perm(READ, "/a/", "/a0")}, READ, "/b/x", "", false},
      {"prefix covers itself", {perm(READ, "/a/", "/a0")}, READ, "/a/", "/a0", true},
      {"prefix covers a sub-range", {perm(READ, "/a/", "/a0")}, READ, "/a/b", "/a/c", true},
      {"range overlapping only partly", {perm(READ, "/a/", "/a0")}, READ, "/", "/a0", false},
      {"range end is exclusive", {perm(READ, "a", "c")}, READ, "c", "", false},
      {"two ranges joined", {perm(READ, "a", "c"), perm(READ, "c", "e")}, READ, "a", "e", true},
      {"two ranges with a gap",
       {perm(READ, "a", "c"), perm(READ, "d", "f")},
       READ,
       "a",
       "f",
       false},
      {"overlapping ranges out of order",
       {perm(READ, "c", "f"), perm(READ, "a", "d")},
       READ,
       "b",
       "e",
       true},
      {"a key then the range after it",
       {perm(READ, "a", ""), perm(READ, std::string("a\0", 2), "c")},
       READ,
       "a",
       "c",
       true},
      {"from a key on covers a key after it", {perm(READ, "m", kFromKey)}, READ, "zz", "", true},
      {"from a key on covers all after it", {perm(READ, "m", kFromKey)}, READ, "n", kFromKey, true},
      {"from a key on does not cover before it", {perm(READ, "m", kFromKey)}, READ, "a", "", false},
      {"bounded range does not cover all from key",
       {perm(READ, "a", "z")},
       READ,
       "b",
       kFromKey,
       false},
      {"read does not grant write", {perm(READ, "a", "")}, WRITE, "a", "", false},
      {"write does not grant read", {perm(WRITE, "a", "")}, READ, "a", "", false},
      {"readwrite grants read", {perm(READWRITE, "a", "")}, READ, "a", "", true},
      {"readwrite grants write", {perm(READWRITE, "a", "")}, WRITE, "a", "", true},
      {"only granting permissions join",
       {perm(READ, "a", "c"), perm(WRITE, "c", "e")},
       READ,
       "a",
       "e",
       false},
      {"empty request range checks its key", {perm(READ, "b", "")}, READ, "b", "a", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<const regentpb::AuthPermission*> ptrs;
    for (const auto& p : c.perms) ptrs.push_back(&p);
    EXPECT_EQ(covers(ptrs, c.need, c.key, c.range_end), c.allowed);
  }
}

}  // namespace
}  // namespace regent::server
