// txn: a transaction read from standard input in etcdctl's non-interactive format.
#include <fmt/format.h>

#include <iostream>

#include "client/kv.h"
#include "commands.h"
#include "format.h"
#include "txn_parser.h"

namespace regent::ctl {

namespace {

void print_txn(const client::TxnResponse& r, const PrintOptions& o) {
  if (o.format == Format::kJson) {
    Json j;
    j.begin_object().key("header");
    write_header(j, r.header);
    j.bfield("succeeded", r.succeeded);
    if (!r.responses.empty()) {
      // etcd's Go types name the oneof's wrapper and case: {"Response":{"ResponsePut":{...}}}.
      j.key("responses").begin_array();
      for (const auto& op : r.responses) {
        j.begin_object().key("Response").begin_object();
        switch (op.type) {
          case client::Op::Type::kGet:
            j.key("ResponseRange");
            write_get(j, op.get);
            break;
          case client::Op::Type::kPut:
            j.key("ResponsePut");
            write_put(j, op.put);
            break;
          case client::Op::Type::kDelete:
            j.key("ResponseDeleteRange");
            write_del(j, op.del);
            break;
        }
        j.end_object().end_object();
      }
      j.end_array();
    }
    fmt::print("{}\n", j.end_object().str());
    return;
  }
  fmt::print("{}\n", r.succeeded ? "SUCCESS" : "FAILURE");
  for (const auto& op : r.responses) {
    fmt::print("\n");
    switch (op.type) {
      case client::Op::Type::kGet:
        print_get(op.get, o, false);
        break;
      case client::Op::Type::kPut:
        print_put(op.put, o);
        break;
      case client::Op::Type::kDelete:
        print_del(op.del, o);
        break;
    }
  }
}

int run_txn(const Globals& g, bool interactive) {
  auto o = print_options(g, false);
  if (!o) return kExitUsage;
  if (interactive) return usage("interactive txn is not supported; use --interactive=false");
  auto txn = parse_txn(std::cin);
  if (!txn) return usage(txn.error());
  auto client = connect(g);
  if (!client) return kExitError;
  auto r = client::KV(client).txn(*txn, command_context(g));
  if (!r) return report(r.error());
  print_txn(*r, *o);
  return kExitOk;
}

}  // namespace

void add_txn_command(CLI::App& app, Globals& g, int& exit_code) {
  auto interactive = std::make_shared<bool>(false);
  auto* txn = app.add_subcommand("txn", "Txn processes all the requests in one transaction");
  txn->add_flag("-i,--interactive", *interactive, "Input transaction in interactive mode");
  txn->callback([&g, &exit_code, interactive] { exit_code = run_txn(g, *interactive); });
}

}  // namespace regent::ctl
