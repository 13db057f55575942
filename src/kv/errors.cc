#include "kv/errors.h"

namespace regent::kv {

Error invalid_argument(std::string_view message) {
  return Error{ErrorCode::kInvalidArgument, std::string(message)};
}

Error key_not_found() { return Error{ErrorCode::kKeyNotFound, std::string(kKeyNotFoundMessage)}; }

Error future_revision() {
  return Error{ErrorCode::kFutureRevision, std::string(kFutureRevisionMessage)};
}

Error compacted() { return Error{ErrorCode::kCompacted, std::string(kCompactedMessage)}; }

Error corrupt_image(std::string_view what) {
  return Error{ErrorCode::kCorruptImage, "kv: corrupt image: " + std::string(what)};
}

Error lease_not_found() {
  return Error{ErrorCode::kLeaseNotFound, std::string(kLeaseNotFoundMessage)};
}

Error lease_exists() { return Error{ErrorCode::kLeaseExists, std::string(kLeaseExistsMessage)}; }

Error lease_ttl_too_large() {
  return Error{ErrorCode::kTtlTooLarge, std::string(kLeaseTtlTooLargeMessage)};
}

Error no_space() { return Error{ErrorCode::kNoSpace, std::string(kNoSpaceMessage)}; }

Error corrupt() { return Error{ErrorCode::kCorrupt, std::string(kCorruptMessage)}; }

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kKeyNotFound:
      return "key not found";
    case ErrorCode::kFutureRevision:
      return "future revision";
    case ErrorCode::kCompacted:
      return "compacted";
    case ErrorCode::kCorruptImage:
      return "corrupt image";
    case ErrorCode::kLeaseNotFound:
      return "lease not found";
    case ErrorCode::kLeaseExists:
      return "lease exists";
    case ErrorCode::kTtlTooLarge:
      return "lease TTL too large";
    case ErrorCode::kNoSpace:
      return "no space";
    case ErrorCode::kCorrupt:
      return "corrupt";
    case ErrorCode::kAuthRefused:
      return "auth refused";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
  }
  return "unknown error";  // Only through a cast of an out-of-range value.
}

}  // namespace regent::kv
