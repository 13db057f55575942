// Whether the caller of a client's request may make it, decided where etcd's auth applier decides
// it: at apply, against the auth store as every member has it at that index, so a revoked
// permission refuses the next request on every member alike (state_machine.h calls this first).
//
// Rules (etcd's, and where Regent is stricter it says so in docs/ARCHITECTURE.md, "Departures"):
//  - A request without a caller is the member's own (a lease's expiry, a published URL, a quota
//    alarm, a checkpoint) and is never refused here. Every client request carries one.
//  - While auth is disabled nothing is refused. While enabled: no user given refuses with "user
//    name is empty"; a caller looked up at an older auth revision with "revision of auth store is
//    old" (its rights may have changed since; the client asks again); then the request's keys.
//  - Keys: a put needs write on its key (and read with prev_kv), and write on every key already
//    attached to the lease it names (else its owner could no longer revoke that lease); a delete
//    write on its range (and read with prev_kv); a txn read on every compare's range and the
//    same for every operation of both branches, nested txns included; a lease revoke write on
//    every attached key.
//  - Root only: every auth change but Authenticate, a compaction, raising or clearing an alarm.
//    A lease grant needs a user that exists.
#pragma once

#include <optional>
#include <string_view>

#include "kv/errors.h"
#include "kv/store.h"
#include "regentpb/request.pb.h"
#include "server/node/auth_store.h"

namespace regent::server {

// Why `request` must be refused, or nullopt.
std::optional<kv::Error> auth_refusal(const AuthStore& auth, const kv::Store& store,
                                      const regentpb::InternalRequest& request);

// The checks of calls answered without the log (reads, watches, the member-wide calls), with
// the same words. `caller` as the member stamped it; nullopt when allowed.
std::optional<kv::Error> caller_refusal(const AuthStore& auth, const regentpb::AuthCaller& caller);
std::optional<kv::Error> access_refusal(const AuthStore& auth, const regentpb::AuthCaller& caller,
                                        regentpb::AuthPermissionType need, std::string_view key,
                                        std::string_view range_end);
std::optional<kv::Error> admin_refusal(const AuthStore& auth, const regentpb::AuthCaller& caller);

}  // namespace regent::server
