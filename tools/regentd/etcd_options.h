// etcd 3.4's settings that Regent does not implement, and what regentd does when a config file
// key or an ETCD_* variable names one.
//
// The rule: a value that asks for nothing beyond etcd's default is accepted (an etcd.conf.yml
// or an etcd unit's environment file usually spells out defaults). A value that asks for
// something Regent cannot do is
//   - refused when ignoring it would leave the member less safe than the operator believes
//     (revocation lists, a separate WAL directory, auto-compaction, discovery): starting anyway
//     would be a silent downgrade;
//   - otherwise ignored with a warning naming the setting (tuning and features whose absence
//     shows at once: keep-alives, pprof, the v2 API, retention counts of etcd's own files).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace regent::regentd {

enum class Unsupported { kRefuse, kWarn };

struct EtcdOnlyOption {
  std::string_view name;  // etcd's flag and config-file key, e.g. "wal-dir".
  // Spellings that mean etcd's default, '|'-separated. An empty value always counts as default.
  std::string_view defaults;
  Unsupported when_set;
  std::string_view why;  // Completes "Regent ...", for the message.
};

// The entry for `name`, or nullptr if etcd 3.4 has no such setting (or regentd implements it).
const EtcdOnlyOption* find_etcd_only(std::string_view name);

// True if `value` (a scalar as written in YAML or in the environment) means etcd's default.
bool is_etcd_default(const EtcdOnlyOption& option, std::string_view value);

// The message for a non-default value: an error if the option is refused, else a warning.
// `where` names the source: "config file /etc/regentd.yml: key wal-dir" or "ETCD_WAL_DIR".
std::string unsupported_message(const EtcdOnlyOption& option, std::string_view where,
                                std::string_view value);

}  // namespace regent::regentd
