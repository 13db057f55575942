// member list, endpoint status, endpoint health, move-leader: etcdctl's cluster commands.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <future>

#include "client/maintenance.h"
#include "commands.h"
#include "format.h"
#include "table.h"

namespace regent::ctl {

namespace {

std::string bool_text(bool b) { return b ? "true" : "false"; }

int run_member_list(const Globals& g) {
  auto o = print_options(g, true);
  if (!o) return kExitUsage;
  auto client = connect(g);
  if (!client) return kExitError;
  auto r = client::Maintenance(client).member_list(command_context(g));
  if (!r) return report(r.error());
  if (o->format == Format::kJson) {
    Json j;
    j.begin_object().key("header");
    write_header(j, r->header);
    j.key("members").begin_array();
    for (const auto& m : r->members) {
      j.begin_object().ufield("ID", m.id).sfield("name", m.name);
      for (const auto* urls : {&m.peer_urls, &m.client_urls}) {
        if (urls->empty()) continue;
        j.key(urls == &m.peer_urls ? "peerURLs" : "clientURLs").begin_array();
        for (const auto& u : *urls) j.string(u);
        j.end_array();
      }
      j.bfield("isLearner", m.is_learner).end_object();
    }
    fmt::print("{}\n", j.end_array().end_object().str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : r->members) {
    rows.push_back({fmt::format("{:x}", m.id), m.name.empty() ? "unstarted" : "started", m.name,
                    fmt::format("{}", fmt::join(m.peer_urls, ",")),
                    fmt::format("{}", fmt::join(m.client_urls, ",")), bool_text(m.is_learner)});
  }
  if (o->format == Format::kTable) {
    fmt::print(
        "{}",
        render_table({"ID", "STATUS", "NAME", "PEER ADDRS", "CLIENT ADDRS", "IS LEARNER"}, rows));
  } else {
    for (const auto& row : rows) fmt::print("{}\n", fmt::join(row, ", "));
  }
  return kExitOk;
}

// The endpoints a per-member command asks: --endpoints, or with --cluster every member's.
std::optional<std::vector<std::string>> target_endpoints(const Globals& g, bool cluster) {
  if (!cluster) return g.endpoints;
  auto client = connect(g);
  if (!client) return std::nullopt;
  auto r = client::Maintenance(client).member_list(command_context(g));
  if (!r) {
    report(r.error());
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& m : r->members)
    out.insert(out.end(), m.client_urls.begin(), m.client_urls.end());
  return out;
}

// The endpoints a status or health command reports on, and a client of exactly those.
struct Targets {
  std::vector<std::string> endpoints;
  std::shared_ptr<client::Client> client;
};

std::optional<Targets> connect_targets(const Globals& g, bool cluster) {
  auto endpoints = target_endpoints(g, cluster);
  if (!endpoints) return std::nullopt;
  Globals each = g;
  each.endpoints = *endpoints;
  auto client = connect(each);
  if (!client) return std::nullopt;
  return Targets{std::move(*endpoints), std::move(client)};
}

int run_endpoint_status(const Globals& g, bool cluster) {
  auto o = print_options(g, true);
  if (!o) return kExitUsage;
  auto t = connect_targets(g, cluster);
  if (!t) return kExitError;
  const std::vector<std::string>& endpoints = t->endpoints;
  client::Maintenance m(t->client);
  std::vector<std::pair<std::string, client::StatusResponse>> ok;
  bool failed = false;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    auto st = m.status(i, command_context(g));
    if (!st) {
      fmt::print(stderr, "Failed to get the status of endpoint {} ({})\n", endpoints[i],
                 st.error().message);
      failed = true;
      continue;
    }
    ok.emplace_back(endpoints[i], *st);
  }
  if (o->format == Format::kJson) {
    Json j;
    j.begin_array();
    for (const auto& [ep, st] : ok) {
      j.begin_object().key("Endpoint").string(ep).key("Status").begin_object().key("header");
      write_header(j, st.header);
      j.sfield("version", st.version).field("dbSize", st.db_size).ufield("leader", st.leader);
      j.ufield("raftIndex", st.raft_index).ufield("raftTerm", st.raft_term);
      j.ufield("raftAppliedIndex", st.raft_applied_index);
      if (!st.errors.empty()) {
        j.key("errors").begin_array();
        for (const auto& e : st.errors) j.string(e);
        j.end_array();
      }
      j.field("dbSizeInUse", st.db_size_in_use).bfield("isLearner", st.is_learner);
      j.end_object().end_object();
    }
    fmt::print("{}\n", j.end_array().str());
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [ep, st] : ok) {
      rows.push_back({ep, fmt::format("{:x}", st.header.member_id), st.version,
                      humanize_bytes(st.db_size), bool_text(st.leader == st.header.member_id),
                      bool_text(st.is_learner), std::to_string(st.raft_term),
                      std::to_string(st.raft_index), std::to_string(st.raft_applied_index),
                      fmt::format("{}", fmt::join(st.errors, ", "))});
    }
    if (o->format == Format::kTable) {
      fmt::print("{}",
                 render_table({"ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER",
                               "RAFT TERM", "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS"},
                              rows));
    } else {
      for (const auto& row : rows) fmt::print("{}\n", fmt::join(row, ", "));
    }
  }
  return failed ? kExitError : kExitOk;
}

int run_endpoint_health(const Globals& g, bool cluster) {
  auto o = print_options(g, true);
  if (!o) return kExitUsage;
  auto t = connect_targets(g, cluster);
  if (!t) return kExitError;
  const std::vector<std::string>& endpoints = t->endpoints;
  client::Maintenance m(t->client);
  // Every endpoint at once, so one that is down costs one timeout, not one each.
  std::vector<std::future<client::HealthResponse>> checks;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    checks.push_back(
        std::async(std::launch::async, [&, i] { return m.health(i, command_context(g)); }));
  }
  std::vector<client::HealthResponse> results;
  for (auto& c : checks) results.push_back(c.get());
  bool unhealthy = false;
  std::vector<std::vector<std::string>> rows;
  Json j;
  j.begin_array();
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& h = results[i];
    const std::string& ep = endpoints[i];
    unhealthy = unhealthy || !h.healthy;
    const std::string took = go_duration(h.took);
    j.begin_object().key("endpoint").string(ep).key("health").boolean(h.healthy);
    j.key("took").string(took).sfield("error", h.error).end_object();
    rows.push_back({ep, bool_text(h.healthy), took, h.error});
    if (o->format == Format::kSimple) {
      // etcdctl writes these lines to standard error.
      if (h.healthy) {
        fmt::print(stderr, "{} is healthy: successfully committed proposal: took = {}\n", ep, took);
      } else {
        fmt::print(stderr, "{} is unhealthy: {}\n", ep, h.error);
      }
    }
  }
  j.end_array();
  if (o->format == Format::kJson) fmt::print("{}\n", j.str());
  if (o->format == Format::kTable) {
    fmt::print("{}", render_table({"ENDPOINT", "HEALTH", "TOOK", "ERROR"}, rows));
  }
  return unhealthy ? report("unhealthy cluster") : kExitOk;
}

int run_move_leader(const Globals& g, const std::string& target_text) {
  auto target = parse_lease_id(target_text);  // Member ids are hexadecimal too.
  if (!target) return usage("bad transferee ID (" + target_text + "), expecting ID in Hex");
  auto client = connect(g);
  if (!client) return kExitError;
  auto from =
      client::Maintenance(client).move_leader(static_cast<uint64_t>(*target), command_context(g));
  if (!from) return report(from.error());
  fmt::print("Leadership transferred from {:x} to {:x}\n", *from, static_cast<uint64_t>(*target));
  return kExitOk;
}

}  // namespace

void add_cluster_commands(CLI::App& app, Globals& g, int& exit_code) {
  auto* member = app.add_subcommand("member", "Membership related commands");
  member->require_subcommand(1);
  member->add_subcommand("list", "Lists all members in the cluster")->callback([&g, &exit_code] {
    exit_code = run_member_list(g);
  });

  auto* endpoint = app.add_subcommand("endpoint", "Endpoint related commands");
  endpoint->require_subcommand(1);
  auto cluster = std::make_shared<bool>(false);
  endpoint->add_flag("--cluster", *cluster, "use all endpoints from the cluster member list");
  endpoint->add_subcommand("status", "Prints out the status of endpoints")
      ->callback([&g, &exit_code, cluster] { exit_code = run_endpoint_status(g, *cluster); });
  endpoint->add_subcommand("health", "Checks the healthiness of endpoints")
      ->callback([&g, &exit_code, cluster] { exit_code = run_endpoint_health(g, *cluster); });

  auto target = std::make_shared<std::string>();
  auto* move = app.add_subcommand("move-leader", "Transfers leadership to another member");
  move->add_option("transferee-member-id", *target, "member ID in hexadecimal")->required();
  move->callback([&g, &exit_code, target] { exit_code = run_move_leader(g, *target); });
}

}  // namespace regent::ctl
