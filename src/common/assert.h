// Assertions for broken invariants.
//
// REGENT_ASSERT is always compiled in: a broken invariant in a consensus system must stop the
// process rather than let it acknowledge something it cannot guarantee. REGENT_DEBUG_ASSERT is for
// checks too costly for release builds (whole-log scans and the like).
#pragma once

#include <fmt/format.h>

#include <string>

namespace regent {

// Prints "file:line: assertion `expr` failed: message" to stderr and aborts.
[[noreturn]] void assert_fail(const char* file, int line, const char* expr, const std::string& msg);

}  // namespace regent

#define REGENT_ASSERT(cond, ...)                                                       \
  do {                                                                                 \
    if (!(cond)) [[unlikely]] {                                                        \
      ::regent::assert_fail(__FILE__, __LINE__, #cond, ::fmt::format("" __VA_ARGS__)); \
    }                                                                                  \
  } while (0)

#define REGENT_PANIC(...) \
  ::regent::assert_fail(__FILE__, __LINE__, "panic", ::fmt::format(__VA_ARGS__))

#ifdef NDEBUG
#define REGENT_DEBUG_ASSERT(cond, ...) \
  do {                                 \
  } while (0)
#else
#define REGENT_DEBUG_ASSERT(cond, ...) REGENT_ASSERT(cond, __VA_ARGS__)
#endif
