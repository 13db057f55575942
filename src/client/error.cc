#include "client/error.h"

#include <fmt/format.h>

#include <array>

namespace regent::client {

std::string_view code_name(Code code) {
  static constexpr std::array<std::string_view, 17> kNames = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  const auto i = static_cast<size_t>(code);
  return i < kNames.size() ? kNames[i] : std::string_view("Unknown");
}

std::string Error::describe() const {
  std::string out = fmt::format("{} ({}", message, code_name(code));
  if (!endpoint.empty()) out += " at " + endpoint;
  if (outcome_unknown) out += "; the write may or may not have been applied";
  out += ")";
  return out;
}

bool Error::is_compacted() const {
  return message.find("required revision has been compacted") != std::string::npos;
}
bool Error::is_future_revision() const {
  return message.find("required revision is a future revision") != std::string::npos;
}
bool Error::is_lease_not_found() const {
  return message.find("requested lease not found") != std::string::npos;
}
bool Error::is_no_leader() const {
  return message.find("etcdserver: no leader") != std::string::npos;
}

}  // namespace regent::client
