// regentd --config-file: a YAML file with etcd 3.4's config-file keys (etcd.conf.yml), read into
// the flags of the same names. Only the file's shape and keys are judged here; each value is then
// checked by its flag's own parser and validators (settings.h), so a key accepts exactly what the
// flag accepts.
//
// Where this differs from etcd: etcd ignores a key it does not know; regentd refuses it, naming
// the key and the file, since a misspelt key silently ignored is a setting the operator believes
// in and does not have. etcd's keys that Regent lacks follow etcd_options.h. A list value may be
// written as a YAML sequence as well as etcd's comma-separated string, and a duration as a Go
// duration string ("10m") as well as etcd's integer nanoseconds.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace regent::regentd {

// One setting to apply: flag (long name, no dashes), its value as the command line would spell
// it, and where it came from, in words for messages ("config file F: key name", "ETCD_NAME").
struct FlagValue {
  std::string flag;
  std::string value;
  std::string origin;
};

struct ConfigFile {
  std::vector<FlagValue> values;      // In the file's order.
  std::vector<std::string> warnings;  // etcd settings ignored, for the log.
};

// `path` only names the file in messages.
Expected<ConfigFile, std::string> parse_config_yaml(std::string_view text, std::string_view path);

Expected<ConfigFile, std::string> read_config_file(const std::string& path);

}  // namespace regent::regentd
