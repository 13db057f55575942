// The logging interface that deterministic layers (raft/, kv/) write through.
//
// Those layers may not own a sink (a file, stderr, a clock for timestamps): the process that hosts
// them decides. regentd plugs in its member logger (tools/regentd/member_logger.h: text or etcd's
// zap JSON); tests plug in a capturing or silent logger.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace regent {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view message) = 0;
  virtual bool enabled(LogLevel level) const { return level >= LogLevel::kInfo; }

  template <class... Args>
  void info(fmt::format_string<Args...> f, Args&&... args) {
    emit(LogLevel::kInfo, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void debug(fmt::format_string<Args...> f, Args&&... args) {
    emit(LogLevel::kDebug, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void warn(fmt::format_string<Args...> f, Args&&... args) {
    emit(LogLevel::kWarning, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void error(fmt::format_string<Args...> f, Args&&... args) {
    emit(LogLevel::kError, f, std::forward<Args>(args)...);
  }

 private:
  template <class... Args>
  void emit(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(level)) log(level, fmt::format(f, std::forward<Args>(args)...));
  }
};

// Discards everything; the default when the host gives no logger.
class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view) override {}
  bool enabled(LogLevel) const override { return false; }
};

// Writes to stderr; for tools and demos.
class StderrLogger final : public Logger {
 public:
  explicit StderrLogger(LogLevel min_level = LogLevel::kInfo) : min_level_(min_level) {}
  void log(LogLevel level, std::string_view message) override;
  bool enabled(LogLevel level) const override { return level >= min_level_; }

 private:
  LogLevel min_level_;
};

}  // namespace regent
