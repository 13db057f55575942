#include "kv_flags.h"

#include <iostream>
#include <iterator>

#include "command.h"

namespace regent::ctl {

void add_get_flags(CLI::App& cmd, GetFlags& f) {
  cmd.add_option("args", f.args, "<key> [range_end]");
  cmd.add_option("--consistency", f.consistency, "Linearizable(l) or Serializable(s)");
  cmd.add_flag("--from-key", f.from_key, "Get keys that are greater than or equal to the key");
  cmd.add_flag("--keys-only", f.keys_only, "Get only the keys");
  cmd.add_flag("--count-only", f.count_only, "Get only the count");
  cmd.add_flag("--prefix", f.prefix, "Get keys with matching prefix");
  cmd.add_flag("--print-value-only", f.print_value_only, "Only write values (simple format)");
  cmd.add_option("--limit", f.limit, "Maximum number of results");
  cmd.add_option("--rev", f.rev, "Specify the kv revision");
  cmd.add_option("--order", f.order, "Order of results; ASCEND or DESCEND");
  cmd.add_option("--sort-by", f.sort_by, "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION");
}

void add_put_flags(CLI::App& cmd, PutFlags& f) {
  cmd.add_option("args", f.args, "<key> [value] (the value from stdin when left out)");
  cmd.add_option("--lease", f.lease, "lease ID (in hexadecimal) to attach to the key");
  cmd.add_flag("--prev-kv", f.prev_kv, "return the previous key-value pair before modification");
  cmd.add_flag("--ignore-value", f.ignore_value, "updates the key using its current value");
  cmd.add_flag("--ignore-lease", f.ignore_lease, "updates the key using its current lease");
}

void add_del_flags(CLI::App& cmd, DelFlags& f) {
  cmd.add_option("args", f.args, "<key> [range_end]");
  cmd.add_flag("--prefix", f.prefix, "delete keys with matching prefix");
  cmd.add_flag("--prev-kv", f.prev_kv, "return deleted key-value pairs");
  cmd.add_flag("--from-key", f.from_key, "delete keys that are greater than or equal to the key");
}

Expected<GetRequest, std::string> get_request(const GetFlags& f) {
  if (f.args.empty() || f.args.size() > 2) {
    return unexpected(
        std::string("get command needs one argument as key and an optional argument as range_end"));
  }
  if ((f.prefix || f.from_key) && f.args.size() > 1) {
    return unexpected(std::string(
        "too many arguments, only accept one argument when `--prefix` or `--from-key` is set"));
  }
  if (f.prefix && f.from_key) {
    return unexpected(std::string("`--prefix` and `--from-key` cannot be set at the same time"));
  }
  if (f.keys_only && f.count_only) {
    return unexpected(
        std::string("`--keys-only` and `--count-only` cannot be set at the same time"));
  }
  GetRequest r{.key = f.args[0]};
  auto& o = r.options;
  if (f.args.size() == 2) o.range_end = f.args[1];
  o.prefix = f.prefix;
  o.from_key = f.from_key;
  o.limit = f.limit;
  o.revision = f.rev;
  o.keys_only = f.keys_only;
  o.count_only = f.count_only;
  if (f.consistency == "s") {
    o.serializable = true;
  } else if (f.consistency != "l") {
    return unexpected("unknown consistency flag \"" + f.consistency + "\"");
  }
  if (f.order == "ASCEND") {
    o.sort_order = client::SortOrder::kAscend;
  } else if (f.order == "DESCEND") {
    o.sort_order = client::SortOrder::kDescend;
  } else if (!f.order.empty()) {
    return unexpected("bad sort order \"" + f.order + "\"");
  }
  using client::SortTarget;
  if (f.sort_by == "CREATE")
    o.sort_target = SortTarget::kCreate;
  else if (f.sort_by == "KEY")
    o.sort_target = SortTarget::kKey;
  else if (f.sort_by == "MODIFY")
    o.sort_target = SortTarget::kMod;
  else if (f.sort_by == "VALUE")
    o.sort_target = SortTarget::kValue;
  else if (f.sort_by == "VERSION")
    o.sort_target = SortTarget::kVersion;
  else if (!f.sort_by.empty())
    return unexpected("bad sort target \"" + f.sort_by + "\"");
  // etcdctl sorts by the given target in ascending order when only --sort-by is set.
  if (!f.sort_by.empty() && o.sort_order == client::SortOrder::kNone) {
    o.sort_order = client::SortOrder::kAscend;
  }
  return r;
}

Expected<PutRequest, std::string> put_request(const PutFlags& f, bool value_from_stdin) {
  const size_t want = f.ignore_value ? 1 : 2;
  PutRequest r;
  if (f.args.size() == want) {
    r.key = f.args[0];
    if (!f.ignore_value) r.value = f.args[1];
  } else if (!f.ignore_value && f.args.size() == 1 && value_from_stdin) {
    r.key = f.args[0];
    r.value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    return unexpected(
        std::string("put command needs 1 argument and input from stdin or 2 arguments"));
  }
  auto lease = parse_lease_id(f.lease);
  if (!lease) return unexpected("bad lease ID (" + f.lease + "), expecting ID in Hex");
  r.options = client::PutOptions{.lease = *lease,
                                 .prev_kv = f.prev_kv,
                                 .ignore_value = f.ignore_value,
                                 .ignore_lease = f.ignore_lease};
  return r;
}

Expected<DelRequest, std::string> del_request(const DelFlags& f) {
  if (f.args.empty() || f.args.size() > 2) {
    return unexpected(
        std::string("del command needs one argument as key and an optional argument as range_end"));
  }
  if ((f.prefix || f.from_key) && f.args.size() > 1) {
    return unexpected(std::string(
        "too many arguments, only accept one argument when `--prefix` or `--from-key` is set"));
  }
  DelRequest r{.key = f.args[0]};
  if (f.args.size() == 2) r.options.range_end = f.args[1];
  r.options.prefix = f.prefix;
  r.options.from_key = f.from_key;
  r.options.prev_kv = f.prev_kv;
  return r;
}

}  // namespace regent::ctl
