#include "txn_parser.h"

#include <CLI/CLI.hpp>
#include <cctype>

#include "kv_flags.h"

namespace regent::ctl {

using client::Compare;

namespace {

// A Go-quoted string at s[i] (which is '"'); advances i past the closing quote.
Expected<std::string, std::string> read_quoted(const std::string& s, size_t& i) {
  std::string out;
  ++i;
  // Bounded by the string's length: each step consumes at least one character.
  while (i < s.size()) {
    const char c = s[i++];
    if (c == '"') return out;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i >= s.size()) break;
    const char e = s[i++];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      default:
        out += '\\';
        out += e;
    }
  }
  return unexpected(std::string("unterminated quoted string"));
}

}  // namespace

Expected<std::vector<std::string>, std::string> split_args(const std::string& line) {
  std::vector<std::string> args;
  size_t i = 0;
  while (i < line.size()) {
    if (std::isspace(static_cast<unsigned char>(line[i]))) {
      ++i;
      continue;
    }
    if (line[i] == '"') {
      auto quoted = read_quoted(line, i);
      if (!quoted) return unexpected(quoted.error());
      args.push_back(std::move(*quoted));
      continue;
    }
    const size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    args.push_back(line.substr(start, i - start));
  }
  return args;
}

Expected<Compare, std::string> parse_compare(const std::string& line) {
  const std::string malformed = "malformed comparison: " + line;
  const size_t paren = line.find('(');
  if (paren == std::string::npos) return unexpected(malformed);
  const std::string target = line.substr(0, paren);
  size_t i = paren + 1;
  if (i >= line.size() || line[i] != '"') return unexpected(malformed);
  auto key = read_quoted(line, i);
  if (!key || i >= line.size() || line[i] != ')') return unexpected(malformed);
  auto rest = split_args(line.substr(i + 1));
  if (!rest || rest->size() != 2) return unexpected(malformed);
  const std::string& op = (*rest)[0];
  const std::string& value = (*rest)[1];
  Compare c{.key = *key};
  if (op == "=")
    c.relation = Compare::Relation::kEqual;
  else if (op == "!=")
    c.relation = Compare::Relation::kNotEqual;
  else if (op == "<")
    c.relation = Compare::Relation::kLess;
  else if (op == ">")
    c.relation = Compare::Relation::kGreater;
  else
    return unexpected("malformed comparison: " + line + " (unknown operator " + op + ")");
  if (target == "value" || target == "val") {
    c.target = Compare::Target::kValue;
    c.value = value;
    return c;
  }
  if (target == "version" || target == "ver")
    c.target = Compare::Target::kVersion;
  else if (target == "create" || target == "c")
    c.target = Compare::Target::kCreate;
  else if (target == "mod" || target == "m")
    c.target = Compare::Target::kMod;
  else if (target == "lease")
    c.target = Compare::Target::kLease;
  else
    return unexpected("malformed comparison: " + line + " (unknown target " + target + ")");
  try {
    size_t used = 0;
    c.number = std::stoll(value, &used);
    if (used != value.size()) return unexpected(malformed);
  } catch (...) {
    return unexpected(malformed);
  }
  return c;
}

Expected<client::Op, std::string> parse_op(const std::string& line) {
  const std::string invalid = "invalid txn request: " + line;
  auto args = split_args(line);
  if (!args || args->size() < 2) return unexpected(invalid);
  // The same flags as the commands, parsed by the same code.
  CLI::App app;
  GetFlags get_flags;
  PutFlags put_flags;
  DelFlags del_flags;
  add_get_flags(*app.add_subcommand("get"), get_flags);
  add_put_flags(*app.add_subcommand("put"), put_flags);
  add_del_flags(*app.add_subcommand("del"), del_flags);
  app.require_subcommand(1);
  std::vector<std::string> reversed(args->rbegin(), args->rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError&) {
    return unexpected(invalid);
  }
  const std::string& verb = (*args)[0];
  if (verb == "get") {
    auto r = get_request(get_flags);
    if (!r) return unexpected(invalid);
    return client::Op::get_op(r->key, r->options);
  }
  if (verb == "put") {
    auto r = put_request(put_flags, /*value_from_stdin=*/false);
    if (!r) return unexpected(invalid);
    return client::Op::put_op(r->key, r->value, r->options);
  }
  auto r = del_request(del_flags);
  if (!r) return unexpected(invalid);
  return client::Op::delete_op(r->key, r->options);
}

Expected<client::Txn, std::string> parse_txn(std::istream& in) {
  client::Txn txn;
  std::string line;
  int section = 0;  // 0: comparisons, 1: success, 2: failure.
  // Bounded by the input: one line per round.
  while (section < 3 && std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      ++section;
      continue;
    }
    if (section == 0) {
      auto c = parse_compare(line);
      if (!c) return unexpected(c.error());
      txn.compare.push_back(std::move(*c));
    } else {
      auto op = parse_op(line);
      if (!op) return unexpected(op.error());
      (section == 1 ? txn.success : txn.failure).push_back(std::move(*op));
    }
  }
  return txn;
}

}  // namespace regent::ctl
