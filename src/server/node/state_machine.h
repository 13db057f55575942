// The replicated state machine of a member: the key-value store, the member table, the alarms
// and the auth store (users, roles, permissions: auth_store.h), changed only by applying
// committed log entries, in log order, on the Raft loop's thread.
//
// Invariants:
//  - apply() is a deterministic function of the entry and the state: members that applied the
//    same entries hold byte-identical images (kv::Store's own invariants do the rest).
//  - A request that fails changes nothing, and fails the same way on every member.
//  - Readers (any thread) see the state between two applies, never in the middle of one.
#pragma once

#include <atomic>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/expected.h"
#include "kv/store.h"
#include "regentpb/request.pb.h"
#include "server/node/alarm_set.h"
#include "server/node/auth_store.h"
#include "server/node/auth_token_sink.h"
#include "server/node/failure.h"
#include "server/node/image_job.h"

namespace regent::server {

// What an applied membership change answers: the member it concerned (as the table had it) and
// the table after it, as etcd's Member* responses list them.
struct MemberChangeResponse {
  regentpb::Member member;
  std::vector<regentpb::Member> members;
};

// What an applied alarm request answers: the alarms it raised or cleared (alarm_set.h).
struct AlarmChange {
  AlarmSet::Alarms alarms;
};

// What an applied auth change answers: the auth revision after it.
struct AuthApplied {
  uint64_t revision = 0;
};

// What an applied write answers its client.
using WriteResponse =
    std::variant<kv::PutResponse, kv::DeleteRangeResponse, kv::TxnResponse, kv::CompactionResponse,
                 std::monostate /* publish */, kv::LeaseGrantResponse, kv::LeaseRevokeResponse,
                 kv::LeaseCheckpointResponse, MemberChangeResponse, AlarmChange, AuthApplied>;
using WriteResult = Expected<WriteResponse, kv::Error>;

class StateMachine {
 public:
  explicit StateMachine(std::vector<regentpb::Member> members = {});
  // Where Authenticate entries put their tokens (none: they are checked and dropped, as in the
  // simulator). Set before the first apply; not owned.
  void set_token_sink(AuthTokenSink* sink) { tokens_ = sink; }

  WriteResult apply(const regentpb::InternalRequest& request);
  // A membership change (member_table.h): checked against the table and applied, or refused
  // with etcd's error, changing nothing; the same on every member.
  Expected<MemberChangeResponse, Failure> apply_member_change(const regentpb::MemberChange& change);

  // Runs f(const kv::Store&) with applies held off.
  template <class F>
  auto read(F&& f) const {
    std::shared_lock lock(mu_);
    return f(store_);
  }
  // Runs f(const AuthStore&) with applies held off: the auth checks of every request.
  template <class F>
  auto read_auth(F&& f) const {
    std::shared_lock lock(mu_);
    return f(auth_);
  }
  std::vector<regentpb::Member> members() const;
  AlarmSet::Alarms alarms() const;
  // Whether `id` was a member and was removed: ids are never reused, so for good.
  bool was_removed(uint64_t id) const;
  bool alarm_raised(etcdserverpb::AlarmType type, uint64_t member) const;
  // Lock-free, for response headers.
  int64_t revision() const { return revision_.load(std::memory_order_acquire); }
  // Lock-free: the store's size in use (kv::Store::bytes_in_use()) as of the last apply.
  uint64_t bytes_in_use() const { return bytes_in_use_.load(std::memory_order_acquire); }
  // Lock-free: whether any alarm is raised, as of the last apply.
  bool any_alarm() const { return any_alarm_.load(std::memory_order_acquire); }
  // Lock-free, as of the last apply: whether auth is enabled and the auth revision, so that a
  // request on a cluster without auth costs no lock to stamp (auth_check.h).
  bool auth_enabled() const { return auth_enabled_.load(std::memory_order_acquire); }
  uint64_t auth_revision() const { return auth_revision_.load(std::memory_order_acquire); }

  // The whole state as a snapshot's data, and back. restore() of bytes that do not decode
  // fails and leaves the state as it was.
  std::string image() const;
  Expected<void, std::string> restore(std::string_view data);
  // Starts writing image() as it stands now, to finish off this thread while applies go on.
  // Call it on the thread that applies, between two applies (image_job.h: the whole contract).
  ImageJob begin_image();

 private:
  friend class ImageJob;  // Steps through store_ under mu_, shared.
  static std::string encode_image(std::string kv_image, const MachineExtras& extras);
  MachineExtras extras_locked() const;
  void publish_counters_locked();

  WriteResult apply_locked(const regentpb::InternalRequest& request);
  void publish_locked(const regentpb::Member& m);
  WriteResult apply_auth_locked(const regentpb::AuthChange& change);

  mutable std::shared_mutex mu_;
  kv::Store store_;
  std::vector<regentpb::Member> members_;  // Sorted by id.
  AlarmSet alarms_;
  std::vector<uint64_t> removed_;  // Sorted.
  AuthStore auth_;
  std::atomic<int64_t> revision_{1};
  std::atomic<uint64_t> bytes_in_use_{0};
  std::atomic<bool> any_alarm_{false};
  std::atomic<bool> auth_enabled_{false};
  std::atomic<uint64_t> auth_revision_{0};
  AuthTokenSink* tokens_ = nullptr;
};

}  // namespace regent::server
