// lease grant | revoke | timetolive | list | keep-alive, with etcdctl's output.
#include <fmt/format.h>

#include <cstdio>

#include "client/keep_alive.h"
#include "client/lease.h"
#include "commands.h"
#include "format.h"

namespace regent::ctl {

namespace {

using Clock = std::chrono::steady_clock;

void print_keep_alive(const client::LeaseKeepAliveResponse& r, const PrintOptions& o) {
  if (o.format == Format::kJson) {
    Json j;
    j.begin_object();
    write_header_fields(j, r.header);
    j.key("ID").number(r.id).key("TTL").number(r.ttl).end_object();
    fmt::print("{}\n", j.str());
  } else {
    fmt::print("lease {:016x} keepalived with TTL({})\n", r.id, r.ttl);
  }
  std::fflush(stdout);
}

// What the commands that name a lease need before their request: the output options, the
// lease ID and a connected client. `body` runs only once all three are good.
template <class Body>
int with_lease(const Globals& g, const std::string& id_text, Body body) {
  auto o = print_options(g, false);
  if (!o) return kExitUsage;
  auto id = parse_lease_id(id_text);
  if (!id) return usage("bad lease ID arg (" + id_text + "), expecting ID in Hex");
  auto client = connect(g);
  if (!client) return kExitError;
  return body(*o, *id, client);
}

int run_grant(const Globals& g, int64_t ttl) {
  auto o = print_options(g, false);
  if (!o) return kExitUsage;
  auto client = connect(g);
  if (!client) return kExitError;
  auto r = client::Lease(client).grant(ttl, 0, command_context(g));
  if (!r) return report("failed to grant lease (" + r.error().message + ")");
  if (o->format == Format::kJson) {
    Json j;
    j.begin_object();
    write_header_fields(j, r->header);
    j.key("ID").number(r->id).key("TTL").number(r->ttl).key("Error").string(r->error);
    fmt::print("{}\n", j.end_object().str());
  } else {
    fmt::print("lease {:016x} granted with TTL({}s)\n", r->id, r->ttl);
  }
  return kExitOk;
}

int run_revoke(const Globals& g, const std::string& id_text) {
  return with_lease(g, id_text, [&](const PrintOptions& o, int64_t id, const auto& client) -> int {
    auto r = client::Lease(client).revoke(id, command_context(g));
    if (!r) return report("failed to revoke lease (" + r.error().message + ")");
    if (o.format == Format::kJson) {
      Json j;
      j.begin_object().key("header");
      write_header(j, *r);
      fmt::print("{}\n", j.end_object().str());
    } else {
      fmt::print("lease {:016x} revoked\n", id);
    }
    return kExitOk;
  });
}

int run_timetolive(const Globals& g, const std::string& id_text, bool keys) {
  return with_lease(g, id_text, [&](const PrintOptions& o, int64_t id, const auto& client) -> int {
    auto r = client::Lease(client).time_to_live(id, keys, command_context(g));
    if (!r) return report("failed to get lease TTL (" + r.error().message + ")");
    if (o.format == Format::kJson) {
      Json j;
      j.begin_object();
      write_header_fields(j, r->header);
      j.key("id").number(r->id).key("ttl").number(r->ttl).key("granted-ttl").number(r->granted_ttl);
      j.key("keys");
      if (r->keys.empty()) {
        j.null();
      } else {
        j.begin_array();
        for (const auto& k : r->keys) j.string(base64(k));
        j.end_array();
      }
      fmt::print("{}\n", j.end_object().str());
      return kExitOk;
    }
    if (r->granted_ttl == 0 && r->ttl == -1) {
      fmt::print("lease {:016x} already expired\n", r->id);
      return kExitOk;
    }
    std::string text = fmt::format("lease {:016x} granted with TTL({}s), remaining({}s)", r->id,
                                   r->granted_ttl, r->ttl);
    if (keys) {
      std::string joined;
      for (const auto& k : r->keys) joined += (joined.empty() ? "" : " ") + show_bytes(k, g.hex);
      text += fmt::format(", attached keys([{}])", joined);
    }
    fmt::print("{}\n", text);
    return kExitOk;
  });
}

int run_list(const Globals& g) {
  auto o = print_options(g, false);
  if (!o) return kExitUsage;
  auto client = connect(g);
  if (!client) return kExitError;
  auto r = client::Lease(client).leases(command_context(g));
  if (!r) return report("failed to list leases (" + r.error().message + ")");
  if (o->format == Format::kJson) {
    Json j;
    j.begin_object();
    write_header_fields(j, r->header);
    j.key("leases").begin_array();
    for (int64_t id : r->leases) j.begin_object().key("id").number(id).end_object();
    fmt::print("{}\n", j.end_array().end_object().str());
    return kExitOk;
  }
  fmt::print("found {} leases\n", r->leases.size());
  for (int64_t id : r->leases) fmt::print("{:016x}\n", id);
  return kExitOk;
}

int run_keep_alive(const Globals& g, const std::string& id_text, bool once) {
  return with_lease(g, id_text, [&](const PrintOptions& o, int64_t id, const auto& client) -> int {
    const auto sent = Clock::now();
    auto first = client::Lease(client).keep_alive_once(id, command_context(g));
    if (!first) {
      if (first.error().is_lease_not_found() && !once) {
        fmt::print("lease {:016x} expired or revoked.\n", id);
        return kExitError;
      }
      return report(first.error());
    }
    print_keep_alive(*first, o);
    if (once) return kExitOk;
    client::KeepAlive keep(
        client, id, std::chrono::seconds(first->ttl), sent + std::chrono::seconds(first->ttl),
        client::KeepAliveOptions{.on_renewed = [o](const auto& r) { print_keep_alive(r, o); }});
    // Ends on a signal or when the lease is lost.
    while (!interrupted().cancelled()) {
      if (keep.wait_lost(Clock::now() + std::chrono::milliseconds(100))) {
        if (o.format == Format::kSimple) fmt::print("lease {:016x} expired or revoked.\n", id);
        std::fflush(stdout);
        return kExitError;
      }
    }
    return 128 + received_signal();
  });
}

}  // namespace

void add_lease_commands(CLI::App& app, Globals& g, int& exit_code) {
  auto* lease = app.add_subcommand("lease", "Lease related commands");
  lease->require_subcommand(1);

  auto ttl = std::make_shared<int64_t>(0);
  auto* grant = lease->add_subcommand("grant", "Creates leases");
  grant->add_option("ttl", *ttl, "TTL in seconds")->required();
  grant->callback([&g, &exit_code, ttl] { exit_code = run_grant(g, *ttl); });

  auto revoke_id = std::make_shared<std::string>();
  auto* revoke = lease->add_subcommand("revoke", "Revokes leases");
  revoke->add_option("leaseID", *revoke_id, "lease ID in hexadecimal")->required();
  revoke->callback([&g, &exit_code, revoke_id] { exit_code = run_revoke(g, *revoke_id); });

  auto ttl_id = std::make_shared<std::string>();
  auto keys = std::make_shared<bool>(false);
  auto* timetolive = lease->add_subcommand("timetolive", "Get lease information");
  timetolive->add_option("leaseID", *ttl_id, "lease ID in hexadecimal")->required();
  timetolive->add_flag("--keys", *keys, "Get keys attached to this lease");
  timetolive->callback(
      [&g, &exit_code, ttl_id, keys] { exit_code = run_timetolive(g, *ttl_id, *keys); });

  auto* list = lease->add_subcommand("list", "List all active leases");
  list->callback([&g, &exit_code] { exit_code = run_list(g); });

  auto keep_id = std::make_shared<std::string>();
  auto once = std::make_shared<bool>(false);
  auto* keep = lease->add_subcommand("keep-alive", "Keeps leases alive (renew)");
  keep->add_option("leaseID", *keep_id, "lease ID in hexadecimal")->required();
  keep->add_flag("--once", *once, "Resets the keep-alive time to its original value once");
  keep->callback(
      [&g, &exit_code, keep_id, once] { exit_code = run_keep_alive(g, *keep_id, *once); });
}

}  // namespace regent::ctl
