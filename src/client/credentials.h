// etcdctl's --user and --password, read the way etcdctl reads them, so that scripts written for
// etcdctl pass the same credentials to Regent's tools and to programs built on this library.
#pragma once

#include <optional>
#include <string>

namespace regent::client {

struct UserFlag {
  std::string username;
  // nullopt: neither flag gave one (etcdctl then asks on the terminal).
  std::optional<std::string> password;
};

// `user` is "name" or "name:password"; `password` is --password ("" when not given). A given
// --password wins, and `user` is then the whole name, colons included; otherwise the name ends at
// the first colon and the rest, colons included, is the password. nullopt for an empty `user`
// (no authentication).
std::optional<UserFlag> parse_user_flag(const std::string& user, const std::string& password);

}  // namespace regent::client
