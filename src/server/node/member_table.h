// The member table's rules for a membership change (regentpb::MemberChange), as etcd's
// membership package has them. They run twice: on the member that takes the client's request,
// to answer at once, and when the change's entry is applied, on every member against the same
// table, so that a change that became invalid meanwhile (two adds of one peer URL racing) is
// refused the same way everywhere and changes neither the table nor the Raft configuration.
//
// Invariants of a table (check_member_table):
//  - ids are distinct and non-zero, sorted; no peer URL belongs to two members;
//  - at most kMaxLearners learners (etcd 3.4's limit).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "raft/conf_change.h"
#include "regentpb/request.pb.h"
#include "server/node/failure.h"

namespace regent::server {

inline constexpr size_t kMaxLearners = 1;

// etcd's gRPC errors for membership (api/v3rpc/rpctypes).
Failure member_not_found();    // NotFound "etcdserver: member not found"
Failure member_id_exists();    // FailedPrecondition "etcdserver: member ID already exist"
Failure peer_url_exists();     // FailedPrecondition "etcdserver: Peer URLs already exists"
Failure member_not_learner();  // FailedPrecondition "etcdserver: can only promote a learner member"
Failure learner_not_ready();   // FailedPrecondition "... which is in sync with leader"
Failure
too_many_learners();  // FailedPrecondition "etcdserver: too many learner members in cluster"
Failure unhealthy_cluster();  // Unavailable "etcdserver: unhealthy cluster"
Failure bad_member_urls();    // InvalidArgument "etcdserver: given member URLs are invalid"

// Whether `change` may be applied to `members` (sorted by id); changes nothing.
Expected<void, Failure> check_member_change(const std::vector<regentpb::Member>& members,
                                            const regentpb::MemberChange& change);
// Applies a change check_member_change allowed; keeps the table sorted.
void apply_member_change_to(std::vector<regentpb::Member>& members,
                            const regentpb::MemberChange& change);
// The Raft configuration change a member change makes (none for a peer URL update).
std::optional<raft::ConfChange> raft_change_of(const regentpb::MemberChange& change);
// Empty if the table keeps its invariants, else what is wrong.
std::string check_member_table(const std::vector<regentpb::Member>& members);

}  // namespace regent::server
