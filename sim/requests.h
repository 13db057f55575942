// The simulated clients' operations as the requests a real member applies: a put is a Put, a
// compare-and-swap a Txn comparing the key's value (or, for "absent", its version with 0), a get
// a Range read from the member's store once ReadIndex allows.
#pragma once

#include <optional>
#include <string>

#include "regentpb/request.pb.h"
#include "server/node/state_machine.h"
#include "sim/history.h"

namespace regent::sim {

// `padding` bytes ride along unread (in the txn's failure branch, which a put never runs, and
// which a cas runs only as a read): they only make the entry bigger, so fsyncs can tear it.
regentpb::InternalRequest to_request(const Operation& op, size_t padding);
// For a cas: whether it swapped; true for a put.
bool swapped(const server::WriteResponse& response);
std::optional<std::string> read_value(const server::StateMachine& machine, const std::string& key);

}  // namespace regent::sim
