// The flags of get, put and del, shared by the commands and by txn's operation lines (which
// take the same syntax, as etcdctl's do).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "client/kv.h"
#include "common/expected.h"

namespace regent::ctl {

struct GetFlags {
  std::vector<std::string> args;  // key [range_end]
  std::string consistency = "l";
  bool from_key = false;
  bool keys_only = false;
  bool count_only = false;
  bool prefix = false;
  bool print_value_only = false;
  int64_t limit = 0;
  int64_t rev = 0;
  std::string order;
  std::string sort_by;
};

struct PutFlags {
  std::vector<std::string> args;  // key [value]
  std::string lease = "0";
  bool prev_kv = false;
  bool ignore_value = false;
  bool ignore_lease = false;
};

struct DelFlags {
  std::vector<std::string> args;  // key [range_end]
  bool prefix = false;
  bool prev_kv = false;
  bool from_key = false;
};

void add_get_flags(CLI::App& cmd, GetFlags& f);
void add_put_flags(CLI::App& cmd, PutFlags& f);
void add_del_flags(CLI::App& cmd, DelFlags& f);

// The request the flags describe, or the usage error in etcdctl's words.
struct GetRequest {
  std::string key;
  client::GetOptions options;
};
struct PutRequest {
  std::string key;
  std::string value;
  client::PutOptions options;
};
struct DelRequest {
  std::string key;
  client::DeleteOptions options;
};
Expected<GetRequest, std::string> get_request(const GetFlags& f);
// value_from_stdin: put with one argument reads the value from standard input (etcdctl does).
Expected<PutRequest, std::string> put_request(const PutFlags& f, bool value_from_stdin);
Expected<DelRequest, std::string> del_request(const DelFlags& f);

}  // namespace regent::ctl
