// regentd's log sink: one line per message on stderr, in one of two formats chosen by --logger.
//   capnslog (the default; etcd 3.4's default name): Regent's human-readable lines,
//     "2026-12-07T15:06:28.136Z info  n1: became leader at term 2"
//   zap: one JSON object per line as etcd's zap logger writes them,
//     {"level":"info","ts":"2026-12-07T15:06:28.136Z","msg":"became leader at term 2"}
//     etcd's lines also carry "caller" (file:line) and structured fields; Regent's Logger
//     interface passes neither, so a line has level, ts and msg only.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "common/logger.h"

namespace regent::regentd {

enum class LogFormat { kHuman, kJson };

// --logger's value to a format; --log-level's to the lowest level written (panic and fatal keep
// the errors: Regent has no messages above error, and its errors say why it stopped).
LogFormat log_format(std::string_view logger);
LogLevel log_level(std::string_view level);

// One line, with its newline.
std::string format_log_line(LogFormat format, std::string_view member, LogLevel level,
                            std::chrono::system_clock::time_point at, std::string_view message);

class MemberLogger final : public Logger {
 public:
  MemberLogger(std::string member, LogLevel min, LogFormat format, std::FILE* out = stderr)
      : member_(std::move(member)), min_(min), format_(format), out_(out) {}
  void log(LogLevel level, std::string_view message) override;
  bool enabled(LogLevel level) const override { return level >= min_; }

 private:
  std::string member_;
  LogLevel min_;
  LogFormat format_;
  std::FILE* out_;
  std::mutex mu_;  // Whole lines: many threads log.
};

}  // namespace regent::regentd
