// watch: prints the events of a key or range as etcdctl does, until interrupted; resumes on
// another member when a stream breaks (the client library's job).
#include <fmt/format.h>

#include <cstdio>

#include "client/watch.h"
#include "commands.h"
#include "format.h"

namespace regent::ctl {

namespace {

struct WatchFlags {
  std::vector<std::string> args;  // key [range_end]
  bool prefix = false;
  bool prev_kv = false;
  bool progress_notify = false;
  int64_t rev = 0;
};

void print_response(const client::WatchResponse& r, const PrintOptions& o) {
  if (o.format == Format::kJson) {
    // clientv3.WatchResponse has no JSON tags: Go's field names, every field written.
    Json j;
    j.begin_object().key("Header");
    write_header(j, r.header);
    j.key("Events").begin_array();
    for (const auto& e : r.events) {
      j.begin_object();
      j.field("type", e.type == client::Event::Type::kDelete ? 1 : 0);
      j.key("kv");
      write_kv(j, e.kv);
      if (e.prev_kv) {
        j.key("prev_kv");
        write_kv(j, *e.prev_kv);
      }
      j.end_object();
    }
    j.end_array();
    j.key("CompactRevision").number(0).key("Canceled").boolean(false);
    j.key("Created").boolean(false).end_object();
    fmt::print("{}\n", j.str());
  } else {
    for (const auto& e : r.events) {
      fmt::print("{}\n", e.type == client::Event::Type::kDelete ? "DELETE" : "PUT");
      if (e.prev_kv) print_kv(*e.prev_kv, o);
      print_kv(e.kv, o);
    }
  }
  std::fflush(stdout);  // A reader at the other end of a pipe sees each event as it happens.
}

int run_watch(const Globals& g, const WatchFlags& f) {
  auto o = print_options(g, false);
  if (!o) return kExitUsage;
  if (f.args.empty() || f.args.size() > 2) {
    return usage("watch in non-interactive mode needs a key and an optional range_end");
  }
  if (f.prefix && f.args.size() > 1) {
    return usage("too many arguments, only accept one argument when `--prefix` is set");
  }
  auto client = connect(g);
  if (!client) return kExitError;
  client::WatchOptions options{.prefix = f.prefix,
                               .start_revision = f.rev,
                               .prev_kv = f.prev_kv,
                               .progress_notify = f.progress_notify};
  if (f.args.size() == 2) options.range_end = f.args[1];
  auto watcher = client::Watcher::start(client, f.args[0], options);
  // Ends on a signal (the context) or when the watch ends by itself.
  for (;;) {
    auto r = watcher->next(interrupted());
    if (!r) {
      if (interrupted().cancelled()) return 128 + received_signal();
      if (r.error().code == client::Code::kUnimplemented) return report(r.error());
      return report("watch was canceled (" + r.error().message + ")");
    }
    if (!r->events.empty()) print_response(*r, *o);
  }
}

}  // namespace

void add_watch_command(CLI::App& app, Globals& g, int& exit_code) {
  auto f = std::make_shared<WatchFlags>();
  auto* watch = app.add_subcommand("watch", "Watches events stream on keys or prefixes");
  watch->add_option("args", f->args, "<key> [range_end]");
  watch->add_flag("--prefix", f->prefix, "Watch on a prefix if prefix is set");
  watch->add_flag("--prev-kv", f->prev_kv, "get the previous key-value pair before the event");
  watch->add_flag("--progress-notify", f->progress_notify, "get periodic watch progress");
  watch->add_option("--rev", f->rev, "Revision to start watching");
  watch->callback([&g, &exit_code, f] { exit_code = run_watch(g, *f); });
}

}  // namespace regent::ctl
