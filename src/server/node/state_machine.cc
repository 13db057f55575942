#include "server/node/state_machine.h"

#include <algorithm>
#include <mutex>

#include "server/node/auth_check.h"
#include "server/node/auth_errors.h"
#include "server/node/kv_convert.h"
#include "server/node/lease_convert.h"
#include "server/node/member_table.h"

namespace regent::server {

namespace {

void sort_members(std::vector<regentpb::Member>& members) {
  std::sort(members.begin(), members.end(),
            [](const regentpb::Member& a, const regentpb::Member& b) { return a.id() < b.id(); });
}

// Lifts a store call's Expected<T> into a WriteResult.
template <class T>
WriteResult lift(Expected<T, kv::Error> r) {
  if (!r) return unexpected(r.error());
  return WriteResponse{std::move(*r)};
}

}  // namespace

StateMachine::StateMachine(std::vector<regentpb::Member> members) : members_(std::move(members)) {
  sort_members(members_);
}

WriteResult StateMachine::apply(const regentpb::InternalRequest& request) {
  std::unique_lock lock(mu_);
  WriteResult result = apply_locked(request);
  publish_counters_locked();
  return result;
}

void StateMachine::publish_counters_locked() {
  revision_.store(store_.revision(), std::memory_order_release);
  bytes_in_use_.store(store_.bytes_in_use(), std::memory_order_release);
  any_alarm_.store(!alarms_.list().empty(), std::memory_order_release);
  auth_enabled_.store(auth_.enabled(), std::memory_order_release);
  auth_revision_.store(auth_.revision(), std::memory_order_release);
}

WriteResult StateMachine::apply_locked(const regentpb::InternalRequest& request) {
  using R = regentpb::InternalRequest;
  if (std::optional<kv::Error> refused = auth_refusal(auth_, store_, request)) {
    return unexpected(*refused);
  }
  if (std::optional<kv::Error> refused = alarms_.refusal(request)) return unexpected(*refused);
  switch (request.request_case()) {
    case R::kPut:
      return lift(store_.put(from_proto(request.put())));
    case R::kDeleteRange:
      return lift(store_.delete_range(from_proto(request.delete_range())));
    case R::kTxn: {
      auto txn = from_proto(request.txn());
      if (!txn) return unexpected(txn.error());
      return lift(store_.txn(*txn));
    }
    case R::kCompaction:
      return lift(store_.compact(from_proto(request.compaction())));
    case R::kPublish:
      publish_locked(request.publish());
      return WriteResponse{std::monostate{}};
    case R::kLeaseGrant:
      return lift(store_.lease_grant(from_proto(request.lease_grant())));
    case R::kLeaseRevoke:
      return lift(store_.lease_revoke(from_proto(request.lease_revoke())));
    case R::kLeaseCheckpoint:
      return lift(store_.lease_checkpoint(from_proto(request.lease_checkpoint())));
    case R::kMemberChange:
      // Answered with etcd's membership errors, which are not the store's: the node core calls
      // apply_member_change() for these.
      return unexpected(kv::invalid_argument("etcdserver: membership change outside its path"));
    case R::kAlarm:
      return WriteResponse{AlarmChange{alarms_.apply(request.alarm())}};
    case R::kAuth:
      return apply_auth_locked(request.auth());
    case R::REQUEST_NOT_SET:
      break;
  }
  return unexpected(kv::invalid_argument("etcdserver: empty request"));
}

WriteResult StateMachine::apply_auth_locked(const regentpb::AuthChange& change) {
  namespace err = auth_error;
  if (change.has_authenticate()) {
    // etcd's authStore.Authenticate: the password was checked before proposing, at
    // checked_revision; what may have changed since refuses here, the same on every member.
    const auto& a = change.authenticate();
    if (!auth_.enabled()) return unexpected(err::refused(err::kAuthNotEnabled));
    const regentpb::AuthUser* u = auth_.user(a.name());
    if (!u || u->no_password()) return unexpected(err::invalid(err::kAuthFailed));
    if (a.checked_revision() != auth_.revision()) {
      return unexpected(err::invalid(err::kAuthOldRevision));
    }
    if (tokens_) tokens_->assign(a.token(), a.name(), a.issued_unix_ms());
    return WriteResponse{AuthApplied{auth_.revision()}};
  }
  auto applied = auth_.apply(change);
  if (!applied) return unexpected(applied.error());
  if (tokens_) {
    if (change.has_user_delete()) tokens_->forget_user(change.user_delete().name());
    if (change.has_user_change_password()) {
      tokens_->forget_user(change.user_change_password().name());
    }
    if (change.has_disable()) tokens_->forget_all();
  }
  return WriteResponse{AuthApplied{auth_.revision()}};
}

Expected<MemberChangeResponse, Failure> StateMachine::apply_member_change(
    const regentpb::MemberChange& change) {
  std::unique_lock lock(mu_);
  if (auto allowed = check_member_change(members_, change); !allowed) {
    return unexpected(allowed.error());
  }
  MemberChangeResponse out;
  out.member = change.member();
  for (const regentpb::Member& m : members_) {
    if (m.id() == change.member().id()) out.member = m;
  }
  apply_member_change_to(members_, change);
  if (change.kind() == regentpb::MemberChange::REMOVE) {
    removed_.insert(std::upper_bound(removed_.begin(), removed_.end(), change.member().id()),
                    change.member().id());
  }
  if (change.kind() == regentpb::MemberChange::PROMOTE) out.member.set_is_learner(false);
  if (change.kind() == regentpb::MemberChange::UPDATE) {
    *out.member.mutable_peer_urls() = change.member().peer_urls();
  }
  out.members = members_;
  return out;
}

void StateMachine::publish_locked(const regentpb::Member& m) {
  // Client URLs, and the name of a member added by MemberAdd (which has none until it runs);
  // peer URLs change only through MemberUpdate, and a name once known stays.
  for (regentpb::Member& known : members_) {
    if (known.id() == m.id()) {
      *known.mutable_client_urls() = m.client_urls();
      if (known.name().empty()) known.set_name(m.name());
      return;
    }
  }
}

std::vector<regentpb::Member> StateMachine::members() const {
  std::shared_lock lock(mu_);
  return members_;
}

AlarmSet::Alarms StateMachine::alarms() const {
  std::shared_lock lock(mu_);
  return alarms_.list();
}

bool StateMachine::was_removed(uint64_t id) const {
  std::shared_lock lock(mu_);
  return std::binary_search(removed_.begin(), removed_.end(), id);
}

bool StateMachine::alarm_raised(etcdserverpb::AlarmType type, uint64_t member) const {
  // Asked every round by the loop (read_refusal): no lock while no alarm is raised, the rule.
  if (!any_alarm()) return false;
  std::shared_lock lock(mu_);
  return alarms_.raised(type, member);
}

MachineExtras StateMachine::extras_locked() const {
  return MachineExtras{
      .members = members_, .alarms = alarms_.list(), .removed = removed_, .auth = auth_.image()};
}

std::string StateMachine::encode_image(std::string kv_image, const MachineExtras& extras) {
  regentpb::SnapshotData data;
  data.set_kv_image(std::move(kv_image));
  for (const regentpb::Member& m : extras.members) *data.add_members() = m;
  for (const etcdserverpb::AlarmMember& a : extras.alarms) *data.add_alarms() = a;
  for (uint64_t id : extras.removed) data.add_removed(id);
  *data.mutable_auth() = extras.auth;
  return data.SerializeAsString();
}

std::string StateMachine::image() const {
  std::shared_lock lock(mu_);
  return encode_image(store_.image(), extras_locked());
}

ImageJob StateMachine::begin_image() {
  // Exclusive: registering the job is a write to the store, whatever its size.
  std::unique_lock lock(mu_);
  return ImageJob(*this, store_.begin_image(), extras_locked());
}

Expected<void, std::string> StateMachine::restore(std::string_view bytes) {
  regentpb::SnapshotData data;
  if (!data.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return unexpected(std::string("snapshot data is not a Regent state machine image"));
  }
  auto store = kv::Store::restore(data.kv_image());
  if (!store) return unexpected(store.error().message);
  // An image from before the auth store has none: auth disabled, no users, as a new cluster.
  auto auth = AuthStore::restore(data.auth());
  if (!auth) return unexpected(auth.error());
  std::vector<regentpb::Member> members(data.members().begin(), data.members().end());
  sort_members(members);
  std::unique_lock lock(mu_);
  store_ = std::move(*store);
  members_ = std::move(members);
  alarms_.restore(AlarmSet::Alarms(data.alarms().begin(), data.alarms().end()));
  removed_.assign(data.removed().begin(), data.removed().end());
  auth_ = std::move(*auth);
  if (tokens_) tokens_->forget_all();  // Users and passwords may differ in the new state.
  std::sort(removed_.begin(), removed_.end());
  publish_counters_locked();
  return {};
}

}  // namespace regent::server
