// get, put, del, compaction: one request each, printed as etcdctl prints it.
#include <fmt/format.h>

#include "client/kv.h"
#include "commands.h"
#include "format.h"
#include "kv_flags.h"

namespace regent::ctl {

namespace {

int run_get(const Globals& g, const GetFlags& f) {
  auto o = print_options(g, false);
  if (!o) return kExitUsage;
  auto request = get_request(f);
  if (!request) return usage(request.error());
  o->value_only = f.print_value_only;
  auto client = connect(g);
  if (!client) return kExitError;
  auto r = client::KV(client).get(request->key, request->options, command_context(g));
  if (!r) return report(r.error());
  print_get(*r, *o, f.count_only);
  return kExitOk;
}

int run_put(const Globals& g, const PutFlags& f) {
  auto o = print_options(g, false);
  if (!o) return kExitUsage;
  auto request = put_request(f, /*value_from_stdin=*/true);
  if (!request) return usage(request.error());
  auto client = connect(g);
  if (!client) return kExitError;
  auto r =
      client::KV(client).put(request->key, request->value, request->options, command_context(g));
  if (!r) return report(r.error());
  print_put(*r, *o);
  return kExitOk;
}

int run_del(const Globals& g, const DelFlags& f) {
  auto o = print_options(g, false);
  if (!o) return kExitUsage;
  auto request = del_request(f);
  if (!request) return usage(request.error());
  auto client = connect(g);
  if (!client) return kExitError;
  auto r = client::KV(client).del(request->key, request->options, command_context(g));
  if (!r) return report(r.error());
  print_del(*r, *o);
  return kExitOk;
}

int run_compaction(const Globals& g, const std::string& revision, bool physical) {
  auto o = print_options(g, false);
  if (!o) return kExitUsage;
  int64_t rev = 0;
  try {
    size_t used = 0;
    rev = std::stoll(revision, &used);
    if (used != revision.size()) throw std::invalid_argument(revision);
  } catch (...) {
    return usage("bad revision \"" + revision + "\"");
  }
  auto client = connect(g);
  if (!client) return kExitError;
  auto r = client::KV(client).compact(rev, physical, command_context(g));
  if (!r) return report(r.error());
  if (o->format == Format::kJson) {
    Json j;
    j.begin_object().key("header");
    write_header(j, *r);
    fmt::print("{}\n", j.end_object().str());
  } else {
    fmt::print("compacted revision {}\n", rev);
  }
  return kExitOk;
}

}  // namespace

void add_kv_commands(CLI::App& app, Globals& g, int& exit_code) {
  auto get_flags = std::make_shared<GetFlags>();
  auto* get = app.add_subcommand("get", "Gets the key or a range of keys");
  add_get_flags(*get, *get_flags);
  get->callback([&g, &exit_code, get_flags] { exit_code = run_get(g, *get_flags); });

  auto put_flags = std::make_shared<PutFlags>();
  auto* put = app.add_subcommand("put", "Puts the given key into the store");
  add_put_flags(*put, *put_flags);
  put->callback([&g, &exit_code, put_flags] { exit_code = run_put(g, *put_flags); });

  auto del_flags = std::make_shared<DelFlags>();
  auto* del = app.add_subcommand("del", "Removes the specified key or range of keys");
  add_del_flags(*del, *del_flags);
  del->callback([&g, &exit_code, del_flags] { exit_code = run_del(g, *del_flags); });

  auto revision = std::make_shared<std::string>();
  auto physical = std::make_shared<bool>(false);
  auto* compaction = app.add_subcommand("compaction", "Compacts the event history in etcd");
  compaction->add_option("revision", *revision, "The revision to compact to")->required();
  compaction->add_flag("--physical", *physical,
                       "Wait for the compaction to physically remove all old revisions");
  compaction->callback([&g, &exit_code, revision, physical] {
    exit_code = run_compaction(g, *revision, *physical);
  });
}

}  // namespace regent::ctl
