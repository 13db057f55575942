// Flags from the environment, as etcd reads them: ETCD_<FLAG> (upper case, dashes as
// underscores: ETCD_INITIAL_CLUSTER) for each flag regentd shares with etcd 3.4, so that an etcd
// unit's environment file works unchanged, and REGENT_<FLAG> for every regentd flag.
//
// The rules are etcd 3.4's (pkg/flags), checked against its binary:
//   - a variable fills in a flag the command line did not give; an empty one counts as unset;
//   - a variable whose flag the command line also gives is refused ("conflicting environment
//     variable ... is shadowed by corresponding command-line flag"): etcd 3.4 exits there, it
//     no longer only warns as 3.3 did;
//   - an ETCD_* variable that names no etcd flag gets a warning ("unrecognized environment
//     variable"); one that names an etcd setting Regent lacks follows etcd_options.h.
// Ours: ETCD_X and REGENT_X both set must agree, else refused; REGENT_* variables that name no
// flag are left alone, because Regent's tools and tests use that prefix for their own settings.
// When a config file is given none of this runs (settings.h): the file is the whole
// configuration.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "config_file.h"

namespace regent::regentd {

struct EnvScan {
  std::vector<FlagValue> values;      // At most one per flag, sorted by flag.
  std::vector<std::string> used;      // "recognized and used environment variable ETCD_NAME=n1"
  std::vector<std::string> warnings;  // Unrecognized ETCD_* variables, ignored etcd settings.
};

// "ETCD_" + "initial-cluster" -> "ETCD_INITIAL_CLUSTER".
std::string env_name(std::string_view prefix, std::string_view flag);

// `environment` holds "NAME=value" entries (as environ does); `given` the flags the command line
// gave (long names, no dashes). The config-file variables are not taken here (settings.h).
Expected<EnvScan, std::string> scan_environment(const std::vector<std::string>& environment,
                                                const std::set<std::string>& given);

// The value of the variable `name` in `environment`, or empty.
std::string lookup_env(const std::vector<std::string>& environment, std::string_view name);

}  // namespace regent::regentd
