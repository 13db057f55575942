// What the client port knows of each connection it hands to gRPC, for gRPC's calls to ask: the
// client's address and, over TLS, the Common Name of its verified certificate. gRPC serves an
// adopted socket under the peer name "fd:<n>" (grpc::AddInsecureChannelFromFd), and a TLS
// client's calls arrive on the plaintext end of a socketpair, so neither is visible otherwise.
//
// Invariants:
//  - An entry names the socket it was made for, not only its number: find() answers only while
//    descriptor <n> still is that socket (same device and inode), so a number that gRPC closed
//    and the kernel gave to a later connection is never mistaken for the earlier one.
//  - At most one entry per descriptor number (a new connection replaces the stale one), so the
//    registry never holds more entries than the process has descriptors.
//  - Thread-safe: the listener adds from its connection threads, gRPC's threads look up.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace regent::server::http {

struct ConnectionInfo {
  std::string remote;                    // "127.0.0.1:51234"
  std::optional<std::string> cert_name;  // A verified client certificate's Common Name.
};

class ConnectionRegistry {
 public:
  // Records `fd`, just before it is handed to gRPC.
  void add(int fd, ConnectionInfo info);
  // The connection of a gRPC call whose peer() is `grpc_peer`; nullopt for another form
  // (in-process calls) or a connection no longer open.
  std::optional<ConnectionInfo> find(std::string_view grpc_peer) const;

 private:
  struct Entry {
    dev_t dev = 0;
    ino_t ino = 0;
    ConnectionInfo info;
  };
  mutable std::mutex mu_;
  std::unordered_map<int, Entry> entries_;
};

}  // namespace regent::server::http
