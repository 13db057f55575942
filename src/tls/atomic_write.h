// Writes a file whole or not at all: the generated certificate and key of --auto-tls must never be
// found half-written by the next start (which would take them for a pair and fail to load them).
#pragma once

#include <string>

#include "common/expected.h"

namespace regent::tls {

// Writes `text` to `path` through a temporary file, synced and renamed over it, created with
// `mode`. The error names the path and errno's text.
Expected<void, std::string> write_file_atomically(const std::string& path, const std::string& text,
                                                  unsigned mode);

}  // namespace regent::tls
