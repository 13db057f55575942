#include "server/member_identity.h"

#include <fmt/format.h>

#include "storage/file_names.h"

namespace regent::server {

namespace {

constexpr std::string_view kMemberKey = "member_id ";
constexpr std::string_view kClusterKey = "cluster_id ";
constexpr std::string_view kNameKey = "name ";

// The value of line `key value`, removed from the front of text (with its newline).
std::optional<std::string_view> take_line(std::string_view& text, std::string_view key) {
  const size_t nl = text.find('\n');
  if (nl == std::string_view::npos || !text.starts_with(key)) return std::nullopt;
  std::string_view value = text.substr(key.size(), nl - key.size());
  text.remove_prefix(nl + 1);
  return value;
}

}  // namespace

std::string describe(const MemberIdentity& id) {
  return fmt::format("member {:x} (name \"{}\") of cluster {:x}", id.member_id, id.name,
                     id.cluster_id);
}

std::string encode_identity(const MemberIdentity& id) {
  return fmt::format("{}{:016x}\n{}{:016x}\n{}{}\n", kMemberKey, id.member_id, kClusterKey,
                     id.cluster_id, kNameKey, id.name);
}

Expected<MemberIdentity, std::string> decode_identity(std::string_view text) {
  std::string_view rest = text;
  const auto member = take_line(rest, kMemberKey);
  const auto cluster = member ? take_line(rest, kClusterKey) : std::nullopt;
  const auto name = cluster ? take_line(rest, kNameKey) : std::nullopt;
  const auto member_id = member ? storage::parse_hex16(*member) : std::nullopt;
  const auto cluster_id = cluster ? storage::parse_hex16(*cluster) : std::nullopt;
  if (!member_id || !cluster_id || !name || !rest.empty() || *member_id == 0) {
    return unexpected(std::string(
        "want three lines: \"member_id <16 hex digits>\", \"cluster_id <16 hex digits>\", "
        "\"name <name>\""));
  }
  return MemberIdentity{
      .member_id = *member_id, .cluster_id = *cluster_id, .name = std::string(*name)};
}

Expected<std::optional<MemberIdentity>, std::string> read_identity(storage::Fs& fs,
                                                                   const std::string& dir) {
  const std::string path = storage::join_path(dir, kIdentityFileName);
  auto present = fs.exists(path);
  if (!present) return unexpected(present.error().message());
  if (!*present) return std::optional<MemberIdentity>();
  auto text = fs.read_file(path);
  if (!text) return unexpected(text.error().message());
  auto id = decode_identity(*text);
  if (!id) {
    return unexpected(fmt::format(
        "{} is damaged ({}); it records which member the data directory belongs to. Restore "
        "it, or start the member on a new, empty data directory",
        path, id.error()));
  }
  return std::optional<MemberIdentity>(std::move(*id));
}

Expected<void, std::string> write_identity(storage::Fs& fs, const std::string& dir,
                                           const MemberIdentity& id) {
  if (id.name.find('\n') != std::string::npos) {
    return unexpected(fmt::format("--name must not hold a line break: \"{}\"", id.name));
  }
  auto written =
      storage::write_file_atomically(fs, dir, std::string(kIdentityFileName), encode_identity(id));
  if (!written) return unexpected(written.error().message());
  return {};
}

Expected<void, std::string> check_identity(const MemberIdentity& recorded,
                                           const MemberIdentity& flags, std::string_view dir) {
  if (recorded == flags) return {};
  return unexpected(fmt::format(
      "data directory {} belongs to {}, but the flags make this {}. A data directory serves the "
      "member it was created for: start it with the --name, --initial-cluster, "
      "--initial-advertise-peer-urls and --initial-cluster-token it was created with (they "
      "decide the ids), or give this member another --data-dir",
      dir, describe(recorded), describe(flags)));
}

Expected<bool, std::string> establish_identity(storage::Fs& fs, const std::string& dir,
                                               const MemberIdentity& flags, bool has_data,
                                               const std::set<uint64_t>& voters, Logger& logger) {
  auto recorded = read_identity(fs, dir);
  if (!recorded) return unexpected(recorded.error());
  if (*recorded) {
    if (auto same = check_identity(**recorded, flags, dir); !same) return unexpected(same.error());
    return true;
  }
  if (!has_data) return false;
  // Data from before the identity file: its configuration must at least count this member.
  if (!voters.contains(flags.member_id)) {
    return unexpected(fmt::format(
        "data directory {} has no {} file and its members are {:x}, which do not include the "
        "flags' {}: it was created with other flags (--name, --initial-cluster, "
        "--initial-advertise-peer-urls, --initial-cluster-token). Start it with those, or give "
        "this member another --data-dir",
        dir, kIdentityFileName, fmt::join(voters, ", "), describe(flags)));
  }
  if (auto written = write_identity(fs, dir, flags); !written) {
    return unexpected(written.error());
  }
  logger.info("data directory {} was created before identity files: recorded it as {} in {}", dir,
              describe(flags), storage::join_path(dir, kIdentityFileName));
  return true;
}

}  // namespace regent::server
