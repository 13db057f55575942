#include "settings.h"

#include <fmt/format.h>

#include <set>

#include "config_file.h"
#include "env_flags.h"

namespace regent::regentd {
namespace {

// Exit status 1, as etcd for a configuration it refuses.
LoadFailure failure(std::string text) { return LoadFailure{1, std::move(text)}; }

// Parses `args` (program name first) into `settings`; CLI11's message on failure.
std::optional<std::string> parse_into(Settings& settings, const std::vector<std::string>& args) {
  auto app = make_app(settings);
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    app->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

// Each value alone through its flag, so the error names where the value came from; then all of
// them together on top of `base` (the program name, and the command line's flags if they count).
Expected<Settings, LoadFailure> apply_values(std::vector<std::string> base,
                                             const std::vector<FlagValue>& values) {
  for (const FlagValue& v : values) {
    Settings scratch;
    // One argument, "--flag=value": a boolean flag (--auto-tls) takes its value only so.
    if (auto error = parse_into(scratch, {"regentd", "--" + v.flag + "=" + v.value})) {
      return unexpected(
          failure(fmt::format("{}: invalid value \"{}\": {}", v.origin, v.value, *error)));
    }
    base.push_back("--" + v.flag + "=" + v.value);
  }
  Settings settings;
  if (auto error = parse_into(settings, base)) return unexpected(failure(*error));
  return settings;
}

// The config file named by the command line, else by the environment.
Expected<std::string, LoadFailure> config_file_path(const Settings& command_line,
                                                    const std::vector<std::string>& environment) {
  if (!command_line.config_file.empty()) return command_line.config_file;
  const std::string ours = lookup_env(environment, "REGENT_CONFIG_FILE");
  const std::string etcds = lookup_env(environment, "ETCD_CONFIG_FILE");
  if (!ours.empty() && !etcds.empty() && ours != etcds) {
    return unexpected(failure(fmt::format(
        "environment variables REGENT_CONFIG_FILE={} and ETCD_CONFIG_FILE={} disagree; set one "
        "of them",
        ours, etcds)));
  }
  return ours.empty() ? etcds : ours;
}

Expected<Loaded, LoadFailure> from_config_file(const std::string& path,
                                               const std::set<std::string>& given) {
  auto file = read_config_file(path);
  if (!file) return unexpected(failure(file.error()));
  auto settings = apply_values({"regentd"}, file->values);
  if (!settings) return unexpected(settings.error());
  Loaded loaded{std::move(*settings), {}};
  loaded.notices.push_back(
      {LogLevel::kInfo, fmt::format("loaded server configuration from {}; other command line "
                                    "flags and environment variables are ignored, as etcd",
                                    path)});
  for (const std::string& flag : given) {
    if (flag == "config-file") continue;
    loaded.notices.push_back(
        {LogLevel::kWarning,
         fmt::format("flag --{} ignored: the config file {} is the whole configuration", flag,
                     path)});
  }
  for (std::string& w : file->warnings)
    loaded.notices.push_back({LogLevel::kWarning, std::move(w)});
  return loaded;
}

Expected<Loaded, LoadFailure> from_environment(const std::vector<std::string>& args,
                                               const std::vector<std::string>& environment,
                                               const std::set<std::string>& given) {
  auto scan = scan_environment(environment, given);
  if (!scan) return unexpected(failure(scan.error()));
  auto settings = apply_values(args, scan->values);
  if (!settings) return unexpected(settings.error());
  Loaded loaded{std::move(*settings), {}};
  for (std::string& u : scan->used) loaded.notices.push_back({LogLevel::kInfo, std::move(u)});
  for (std::string& w : scan->warnings) {
    loaded.notices.push_back({LogLevel::kWarning, std::move(w)});
  }
  return loaded;
}

}  // namespace

Expected<Loaded, LoadFailure> load_settings(const std::vector<std::string>& args,
                                            const std::vector<std::string>& environment) {
  Settings command_line;
  auto app = make_app(command_line);
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    app->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    return unexpected(LoadFailure{0, app->help(), true});
  } catch (const CLI::ParseError& e) {
    return unexpected(LoadFailure{
        e.get_exit_code(), fmt::format("{}\nRun with --help for more information.", e.what())});
  }
  std::set<std::string> given;
  for (const CLI::Option* opt : app->get_options()) {
    if (opt->count() > 0 && !opt->get_lnames().empty()) given.insert(opt->get_lnames().front());
  }
  auto path = config_file_path(command_line, environment);
  if (!path) return unexpected(path.error());
  auto loaded =
      path->empty() ? from_environment(args, environment, given) : from_config_file(*path, given);
  if (loaded) finish_settings(loaded->settings);
  return loaded;
}

}  // namespace regent::regentd
