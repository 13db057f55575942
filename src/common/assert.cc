#include "common/assert.h"

#include <cstdio>
#include <cstdlib>

namespace regent {

void assert_fail(const char* file, int line, const char* expr, const std::string& msg) {
  std::fprintf(stderr, "%s:%d: assertion `%s` failed: %s\n", file, line, expr, msg.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace regent
