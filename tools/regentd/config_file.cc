#include "config_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

#include "etcd_options.h"
#include "flags.h"

namespace regent::regentd {
namespace {

// regentd's duration flags; etcd's YAML gives a time.Duration as integer nanoseconds.
bool is_duration_flag(std::string_view flag) {
  return flag == "experimental-watch-progress-notify-interval" ||
         flag == "experimental-lease-checkpoint-interval";
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// A scalar, or a sequence of scalars joined by commas (etcd's spelling of a list); nullopt
// for a mapping or a sequence holding anything else.
std::optional<std::string> flatten(const YAML::Node& node) {
  if (node.IsNull()) return std::string();
  if (node.IsScalar()) return node.Scalar();
  if (!node.IsSequence()) return std::nullopt;
  std::string joined;
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) return std::nullopt;
    if (!joined.empty()) joined += ',';
    joined += item.Scalar();
  }
  return joined;
}

class Reader {
 public:
  explicit Reader(std::string_view path) : path_(path) {}

  Expected<ConfigFile, std::string> read(const YAML::Node& root) {
    if (root.IsNull()) return std::move(out_);  // An empty file: every default, as etcd.
    if (!root.IsMap()) {
      return unexpected(fmt::format(
          "config file {}: the top level must be a mapping of etcd's keys to values", path_));
    }
    std::set<std::string> seen;
    for (const auto& entry : root) {
      if (!entry.first.IsScalar()) {
        return unexpected(fmt::format("config file {}: a key must be a plain name", path_));
      }
      const std::string key = entry.first.Scalar();
      if (!seen.insert(key).second) {
        return unexpected(fmt::format("config file {}: key {} appears twice", path_, key));
      }
      if (auto error = take(key, entry.second)) return unexpected(std::move(*error));
    }
    return std::move(out_);
  }

 private:
  std::string where(std::string_view key) const {
    return fmt::format("config file {}: key {}", path_, key);
  }

  // nullopt if the key was taken (or ignored), else the error.
  std::optional<std::string> take(const std::string& key, const YAML::Node& value) {
    if (key == "config-file") {
      return where(key) + ": a config file cannot name another one";
    }
    if (key == "client-transport-security" || key == "peer-transport-security") {
      return take_security_map(key, value);
    }
    if (auto kind = flag_kind(key)) return take_flag(key, *kind, value, key);
    if (const EtcdOnlyOption* option = find_etcd_only(key)) {
      return take_etcd_only(*option, key, value);
    }
    return fmt::format(
        "config file {}: unknown key \"{}\" (neither a regentd flag nor an etcd 3.4 setting; "
        "see docs/OPERATIONS.md)",
        path_, key);
  }

  // `key` is where the value sits in the file (the flag's name, or map.key).
  std::optional<std::string> take_flag(const std::string& flag, FlagKind kind,
                                       const YAML::Node& value, const std::string& key) {
    if (value.IsMap()) return where(key) + ": expects a value, not a mapping";
    if (value.IsSequence() && kind == FlagKind::kScalar) {
      return where(key) + ": expects a single value, not a list";
    }
    auto text = flatten(value);
    if (!text) return where(key) + ": expects a list of plain values";
    // Null or empty: the flag's default, as etcd takes a key's zero value.
    if (text->empty()) return std::nullopt;
    if (is_duration_flag(flag) && all_digits(*text)) *text += "ns";
    out_.values.push_back({flag, std::move(*text), where(key)});
    return std::nullopt;
  }

  std::optional<std::string> take_etcd_only(const EtcdOnlyOption& option, const std::string& key,
                                            const YAML::Node& value) {
    auto text = flatten(value);
    if (!text) return where(key) + ": expects a value or a list of plain values";
    if (is_etcd_default(option, *text)) return std::nullopt;
    std::string message = unsupported_message(option, where(key), *text);
    if (option.when_set == Unsupported::kRefuse) return message;
    out_.warnings.push_back(std::move(message));
    return std::nullopt;
  }

  // client-transport-security / peer-transport-security: etcd's TLS settings as a mapping
  // (cert-file, key-file, client-cert-auth, trusted-ca-file, auto-tls; allowed-cn for peers),
  // each the flag of the same name (with "peer-" for peers); crl-file and the like are etcd's
  // settings that Regent does not have, refused or warned about as at the top level.
  std::optional<std::string> take_security_map(const std::string& key, const YAML::Node& map) {
    if (!map.IsMap()) return where(key) + ": expects a mapping of TLS settings";
    const std::string prefix = key == "peer-transport-security" ? "peer-" : "";
    for (const auto& entry : map) {
      const std::string sub = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
      const std::string name = key + "." + sub;
      const std::string flag =
          (prefix == "peer-" && sub == "allowed-cn") ? "peer-cert-allowed-cn" : prefix + sub;
      if (flag_kind(flag) && (sub.ends_with("-file") || sub.ends_with("-auth") ||
                              sub == "auto-tls" || sub == "allowed-cn")) {
        if (auto error = take_flag(flag, FlagKind::kScalar, entry.second, name)) return error;
        continue;
      }
      const EtcdOnlyOption* option = find_etcd_only(prefix.empty() ? "client-" + sub : flag);
      if (option == nullptr) return fmt::format("config file {}: unknown key \"{}\"", path_, name);
      if (auto error = take_etcd_only(*option, name, entry.second)) return error;
    }
    return std::nullopt;
  }

  std::string path_;
  ConfigFile out_;
};

}  // namespace

Expected<ConfigFile, std::string> parse_config_yaml(std::string_view text, std::string_view path) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    // yaml-cpp counts lines and columns from 0.
    return unexpected(fmt::format("config file {}: malformed YAML at line {}, column {}: {}", path,
                                  e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  return Reader(path).read(root);
}

Expected<ConfigFile, std::string> read_config_file(const std::string& path) {
  // POSIX rather than ifstream: a directory opens as a stream and reads as an empty file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return unexpected(
        fmt::format("config file {}: cannot be read: {}", path, std::strerror(errno)));
  }
  std::string text;
  char buffer[8192];
  // A config file is a few KiB; the bound keeps a wrong path (a device, a huge file) from
  // being read whole.
  constexpr size_t kMaxBytes = size_t{1} << 20;
  int error = 0;
  while (text.size() <= kMaxBytes) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = errno;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (error != 0) {
    return unexpected(
        fmt::format("config file {}: cannot be read: {}", path, std::strerror(error)));
  }
  if (text.size() > kMaxBytes) {
    return unexpected(fmt::format("config file {}: larger than 1 MiB, not a config file", path));
  }
  return parse_config_yaml(text, path);
}

}  // namespace regent::regentd
