// Why storage/ could not do what was asked. Every failure is meant for an operator: the message
// names the file, the offset where it matters, what is wrong and what to do about it.
#pragma once

#include <string>
#include <string_view>

namespace regent::storage {

enum class FailureKind {
  kIo,       // The disk refused (ENOSPC, EIO, a failed sync). Fatal for the member: it must stop.
  kCorrupt,  // What is on disk cannot be trusted; the member must not start on it.
  kLocked,   // Another process holds the data directory.
  kInvalid,  // The caller asked for something impossible (a bad option, a snapshot too old).
};

struct Failure {
  FailureKind kind = FailureKind::kIo;
  std::string message;
};

std::string_view to_string(FailureKind kind);

}  // namespace regent::storage
