// etcdctl's txn input (--interactive=false): comparisons, a blank line, the success operations,
// a blank line, the failure operations, a blank line. Comparisons read
//   <target>("<key>") <op> "<value>"   target: value|val, version|ver, create|c, mod|m, lease
//                                      op: =, !=, <, >
// and operations are get/put/del command lines with their flags, quoted as a shell would.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "client/kv.h"
#include "common/expected.h"

namespace regent::ctl {

Expected<client::Compare, std::string> parse_compare(const std::string& line);
Expected<client::Op, std::string> parse_op(const std::string& line);
// Splits a line into arguments: blanks separate them, "double quotes" group (with Go's escapes).
Expected<std::vector<std::string>, std::string> split_args(const std::string& line);
Expected<client::Txn, std::string> parse_txn(std::istream& in);

}  // namespace regent::ctl
