#include "server/http/connection_registry.h"

#include <sys/stat.h>

#include <charconv>

namespace regent::server::http {

namespace {

std::optional<std::pair<dev_t, ino_t>> identity_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  return std::pair{st.st_dev, st.st_ino};
}

}  // namespace

void ConnectionRegistry::add(int fd, ConnectionInfo info) {
  auto id = identity_of(fd);
  if (!id) return;
  std::lock_guard lock(mu_);
  entries_[fd] = Entry{id->first, id->second, std::move(info)};
}

std::optional<ConnectionInfo> ConnectionRegistry::find(std::string_view grpc_peer) const {
  constexpr std::string_view kPrefix = "fd:";
  if (!grpc_peer.starts_with(kPrefix)) return std::nullopt;
  int fd = -1;
  const std::string_view digits = grpc_peer.substr(kPrefix.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), fd);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  auto id = identity_of(fd);
  if (!id) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = entries_.find(fd);
  if (it == entries_.end() || it->second.dev != id->first || it->second.ino != id->second) {
    return std::nullopt;
  }
  return it->second.info;
}

}  // namespace regent::server::http
