// What a campaign and a lock wait have in common: a candidate key <name>/<lease hex> under a
// session's lease, a server call that blocks until the key's turn comes, and the checks and
// clean-up around that call (see the invariants of election.h and mutex.h).
#pragma once

#include <functional>
#include <string>

#include "client/context.h"
#include "client/error.h"
#include "client/session.h"
#include "client/types.h"

namespace regent::client::internal {

// etcd's scheme: the election or lock name, "/", the lease id in lower-case hex.
std::string candidate_key(const std::string& name, int64_t lease);

// The error for a call that needed a session that is gone.
Error session_gone(const Session& session);

// Runs `wait` (the blocking Campaign or Lock call, returning the key the server says now holds
// the turn) under a context that ctx and the session's loss both cancel. On success, reads the
// key back and returns it if it still exists under the session's lease. On any failure, deletes
// the candidate key if it is still under this lease, so nothing is left waiting.
Result<KeyValue> wait_for_turn(const Session& session, const Context& ctx,
                               const std::string& candidate,
                               const std::function<Result<std::string>(const Context&)>& wait);

}  // namespace regent::client::internal
