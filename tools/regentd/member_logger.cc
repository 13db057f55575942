#include "member_logger.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "common/json.h"

namespace regent::regentd {
namespace {

constexpr const char* kLevelNames[] = {"debug", "info", "warn", "error"};

// zap's ISO-8601 with milliseconds, in UTC as etcd writes it: 2026-12-07T15:06:28.136Z.
std::string timestamp(std::chrono::system_clock::time_point at) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", std::chrono::floor<std::chrono::seconds>(at),
                     ms);
}

}  // namespace

LogFormat log_format(std::string_view logger) {
  return logger == "zap" ? LogFormat::kJson : LogFormat::kHuman;
}

LogLevel log_level(std::string_view level) {
  if (level == "debug") return LogLevel::kDebug;
  if (level == "warn") return LogLevel::kWarning;
  if (level == "error" || level == "panic" || level == "fatal") return LogLevel::kError;
  return LogLevel::kInfo;
}

std::string format_log_line(LogFormat format, std::string_view member, LogLevel level,
                            std::chrono::system_clock::time_point at, std::string_view message) {
  const char* name = kLevelNames[static_cast<int>(level)];
  if (format == LogFormat::kHuman) {
    return fmt::format("{} {:5} {}: {}\n", timestamp(at), name, member, message);
  }
  Json line;
  line.begin_object();
  line.key("level").string(name);
  line.key("ts").string(timestamp(at));
  line.key("msg").string(message);
  line.end_object();
  return line.str() + "\n";
}

void MemberLogger::log(LogLevel level, std::string_view message) {
  const std::string line =
      format_log_line(format_, member_, level, std::chrono::system_clock::now(), message);
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace regent::regentd
