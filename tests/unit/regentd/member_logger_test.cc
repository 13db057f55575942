// regentd's log lines: Regent's human format and etcd's zap JSON.
#include "member_logger.h"

#include <gtest/gtest.h>

namespace regent::regentd {
namespace {

// 2026-12-07T15:06:28.136Z
const auto kAt = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796655988136));

TEST(MemberLogger, HumanLine) {
  EXPECT_EQ(format_log_line(LogFormat::kHuman, "n1", LogLevel::kWarning, kAt, "disk slow"),
            "2026-12-07T15:06:28.136Z warn  n1: disk slow\n");
}

TEST(MemberLogger, ZapLine) {
  EXPECT_EQ(format_log_line(LogFormat::kJson, "n1", LogLevel::kInfo, kAt, "became leader"),
            "{\"level\":\"info\",\"ts\":\"2026-12-07T15:06:28.136Z\",\"msg\":\"became leader\"}\n");
  // Quotes, backslashes and control characters are escaped: one line stays one JSON object.
  EXPECT_EQ(format_log_line(LogFormat::kJson, "n1", LogLevel::kError, kAt, "a \"b\"\\\n\tc"),
            "{\"level\":\"error\",\"ts\":\"2026-12-07T15:06:28.136Z\",\"msg\":\"a "
            "\\\"b\\\"\\\\\\n\\tc\"}\n");
}

TEST(MemberLogger, LevelsAsEtcd) {
  EXPECT_EQ(log_level("debug"), LogLevel::kDebug);
  EXPECT_EQ(log_level("info"), LogLevel::kInfo);
  EXPECT_EQ(log_level("warn"), LogLevel::kWarning);
  EXPECT_EQ(log_level("error"), LogLevel::kError);
  EXPECT_EQ(log_level("panic"), LogLevel::kError);
  EXPECT_EQ(log_level("fatal"), LogLevel::kError);
  EXPECT_EQ(log_format("zap"), LogFormat::kJson);
  EXPECT_EQ(log_format("capnslog"), LogFormat::kHuman);
}

TEST(MemberLogger, WritesWholeLinesAtOrAboveItsLevel) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  ASSERT_NE(out, nullptr);
  {
    MemberLogger logger("n1", LogLevel::kWarning, LogFormat::kJson, out);
    logger.info("not written");
    logger.warn("written {}", 1);
  }
  std::fclose(out);
  const std::string text(buffer, size);
  std::free(buffer);
  EXPECT_EQ(text.find("not written"), std::string::npos);
  EXPECT_NE(text.find("\"level\":\"warn\""), std::string::npos);
  EXPECT_NE(text.find("\"msg\":\"written 1\""), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace regent::regentd
