#include "env_flags.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "etcd_options.h"
#include "flags.h"

namespace regent::regentd {
namespace {

constexpr std::string_view kEtcd = "ETCD_";
constexpr std::string_view kRegent = "REGENT_";

// "INITIAL_CLUSTER" -> "initial-cluster"; nullopt if the name cannot be a flag's.
std::optional<std::string> flag_of(std::string_view suffix) {
  if (suffix.empty()) return std::nullopt;
  std::string flag;
  for (char c : suffix) {
    if (c == '_') {
      flag += '-';
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      flag += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    } else {
      return std::nullopt;  // Lower case or other characters: not a flag's variable.
    }
  }
  return flag;
}

struct Found {
  std::string variable;
  std::string value;
};

// One variable that may set a flag; refusals are errors, everything else lands in `scan`.
class Scanner {
 public:
  explicit Scanner(const std::set<std::string>& given) : given_(given) {}

  std::optional<std::string> add(std::string_view name, std::string_view value) {
    const bool etcd = name.starts_with(kEtcd);
    if (!etcd && !name.starts_with(kRegent)) return std::nullopt;
    const auto flag = flag_of(name.substr(etcd ? kEtcd.size() : kRegent.size()));
    if (flag && *flag == "config-file") return std::nullopt;  // settings.h reads it first.
    const bool is_flag = flag && flag_kind(*flag) && (!etcd || shared_with_etcd(*flag));
    if (!is_flag) return etcd ? unknown_etcd(name, flag, value) : std::nullopt;
    if (value.empty()) return std::nullopt;  // etcd: an empty variable is an unset one.
    if (given_.contains(*flag)) {
      return fmt::format(
          "conflicting environment variable {} is shadowed by corresponding command-line flag "
          "--{} (either unset the environment variable or drop the flag; etcd 3.4 refuses this "
          "too)",
          name, *flag);
    }
    auto [it, inserted] = found_.try_emplace(*flag, Found{std::string(name), std::string(value)});
    if (!inserted && it->second.value != value) {
      return fmt::format("environment variables {}={} and {}={} disagree; set one of them",
                         it->second.variable, it->second.value, name, value);
    }
    scan_.used.push_back(
        fmt::format("recognized and used environment variable {}={}", name, value));
    return std::nullopt;
  }

  EnvScan finish() {
    for (auto& [flag, found] : found_) {  // std::map: sorted by flag.
      scan_.values.push_back({flag, found.value, found.variable});
    }
    return std::move(scan_);
  }

 private:
  std::optional<std::string> unknown_etcd(std::string_view name,
                                          const std::optional<std::string>& flag,
                                          std::string_view value) {
    const EtcdOnlyOption* option = flag ? find_etcd_only(*flag) : nullptr;
    if (option == nullptr) {
      scan_.warnings.push_back(fmt::format("unrecognized environment variable {}={}", name, value));
      return std::nullopt;
    }
    if (is_etcd_default(*option, value)) return std::nullopt;
    std::string message = unsupported_message(*option, name, value);
    if (option->when_set == Unsupported::kRefuse) return message;
    scan_.warnings.push_back(std::move(message));
    return std::nullopt;
  }

  const std::set<std::string>& given_;
  std::map<std::string, Found> found_;
  EnvScan scan_;
};

}  // namespace

std::string env_name(std::string_view prefix, std::string_view flag) {
  std::string name(prefix);
  for (char c : flag) {
    name += c == '-' ? '_' : (c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return name;
}

Expected<EnvScan, std::string> scan_environment(const std::vector<std::string>& environment,
                                                const std::set<std::string>& given) {
  Scanner scanner(given);
  for (const std::string& entry : environment) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    if (auto error = scanner.add(std::string_view(entry).substr(0, eq),
                                 std::string_view(entry).substr(eq + 1))) {
      return unexpected(std::move(*error));
    }
  }
  return scanner.finish();
}

std::string lookup_env(const std::vector<std::string>& environment, std::string_view name) {
  for (const std::string& entry : environment) {
    if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return std::string();
}

}  // namespace regent::regentd
