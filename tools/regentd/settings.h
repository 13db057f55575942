// Where regentd's configuration comes from, in etcd's order:
//   1. the command line is parsed (unknown flags and bad values stop here);
//   2. if --config-file (or REGENT_CONFIG_FILE / ETCD_CONFIG_FILE) names a file, that file is the
//      whole configuration: every other flag and variable is ignored, with a warning naming each
//      ignored flag (etcd ignores them silently);
//   3. otherwise the environment fills in the flags the command line did not give (env_flags.h).
// Each value from a file or a variable is first checked alone by its flag's parser, so an error
// names the key or variable and the value, not a flag the operator never typed.
#pragma once

#include <string>
#include <vector>

#include "common/expected.h"
#include "common/logger.h"
#include "flags.h"

namespace regent::regentd {

// Something to log once the logger exists (its level and format are among the settings).
struct Notice {
  LogLevel level;
  std::string text;
};

struct Loaded {
  Settings settings;
  std::vector<Notice> notices;
};

// Why regentd should not start: the text for stderr (stdout for --help) and the exit status.
struct LoadFailure {
  int exit_code;
  std::string text;
  bool is_help = false;
};

// `args` includes the program name, as argv; `environment` holds "NAME=value" entries.
Expected<Loaded, LoadFailure> load_settings(const std::vector<std::string>& args,
                                            const std::vector<std::string>& environment);

}  // namespace regent::regentd
