// Disk faults between runs of a member: one bit flipped in a file it wrote and synced, while it
// is down. A member must then refuse to start (checksums) or repair itself from its peers; it
// must never serve the damaged data (the workloads' checks judge what it serves).
#pragma once

#include <string>

#include "common/expected.h"
#include "common/prng.h"

namespace regent::chaos {

// Flips one bit, chosen by `rng`, in the newest file under `data_dir` (recursively) whose name
// ends in `suffix` (".wal": the newest log segment; ".snap": the newest snapshot), within the
// part of the file holding data (segments are preallocated with zeros past their end). Returns
// "file, byte offset, bit".
Expected<std::string, std::string> flip_bit_in_newest(const std::string& data_dir,
                                                      const std::string& suffix, Prng& rng);

// A copy of a data directory (cp -a), so that a member that rightly refused to start on the
// damaged one can be given its own data back and rejoin.
Expected<void, std::string> copy_dir(const std::string& from, const std::string& to);

}  // namespace regent::chaos
