// Which protocol a client connection speaks, decided from its first bytes without consuming them.
//
// A gRPC client (HTTP/2 with prior knowledge, as etcdctl and every gRPC library connect to a
// plain-text port) opens with the 24-byte connection preface; anything else that starts
// differently is taken for HTTP/1.1 (the JSON gateway, /health, /metrics, ...).
//
// Invariants: the bytes stay in the socket (MSG_PEEK), so whoever receives the connection reads
// it from its first byte; sniff() never waits longer than its timeout, so a silent client
// cannot hold the thread that sniffs it.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace regent::server::http {

inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class Protocol {
  kUndecided,  // The bytes so far are a proper prefix of the HTTP/2 preface (or there are none).
  kGrpc,       // The whole HTTP/2 preface.
  kHttp1,      // Anything that departs from the preface.
};

Protocol classify(std::string_view head);

// Peeks at `fd` until the protocol is known. Empty: the client closed, failed, or stayed silent
// (or sent only part of the preface) for `timeout`.
std::optional<Protocol> sniff(int fd, std::chrono::milliseconds timeout);

}  // namespace regent::server::http
