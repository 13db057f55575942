#include "storage/failure.h"

#include "common/assert.h"

namespace regent::storage {

std::string_view to_string(FailureKind kind) {
  switch (kind) {
    case FailureKind::kIo:
      return "I/O failure";
    case FailureKind::kCorrupt:
      return "corruption";
    case FailureKind::kLocked:
      return "locked";
    case FailureKind::kInvalid:
      return "invalid request";
  }
  REGENT_PANIC("unknown FailureKind {}", static_cast<int>(kind));
}

}  // namespace regent::storage
