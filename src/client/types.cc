#include "client/types.h"

namespace regent::client {

std::string prefix_range_end(const std::string& prefix) {
  std::string end = prefix;
  // Increment the last byte that is not 0xff, dropping the 0xff bytes after it.
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return from_key_range_end();  // An empty (or all-0xff) prefix covers every key.
}

}  // namespace regent::client
