#include "client/credentials.h"

namespace regent::client {

std::optional<UserFlag> parse_user_flag(const std::string& user, const std::string& password) {
  if (user.empty()) return std::nullopt;
  if (!password.empty()) return UserFlag{.username = user, .password = password};
  const auto colon = user.find(':');
  if (colon == std::string::npos) return UserFlag{.username = user, .password = std::nullopt};
  return UserFlag{.username = user.substr(0, colon), .password = user.substr(colon + 1)};
}

}  // namespace regent::client
