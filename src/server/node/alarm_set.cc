#include "server/node/alarm_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <tuple>

#include "server/node/space_quota.h"

namespace regent::server {

namespace {

using etcdserverpb::AlarmMember;
using etcdserverpb::AlarmType;

auto order(const AlarmMember& a) { return std::make_tuple(a.memberid(), int{a.alarm()}); }

bool before(const AlarmMember& a, const AlarmMember& b) { return order(a) < order(b); }

bool same(const AlarmMember& a, const AlarmMember& b) { return order(a) == order(b); }

bool writes_store(const regentpb::InternalRequest& request) {
  return request.has_put() || request.has_delete_range() || request.has_txn() ||
         request.has_compaction() || request.has_lease_grant() || request.has_lease_revoke();
}

}  // namespace

AlarmSet::Alarms AlarmSet::apply(const etcdserverpb::AlarmRequest& request) {
  AlarmMember alarm;
  alarm.set_memberid(request.memberid());
  alarm.set_alarm(request.alarm());
  const auto at = std::lower_bound(alarms_.begin(), alarms_.end(), alarm, before);
  const bool present = at != alarms_.end() && same(*at, alarm);
  switch (request.action()) {
    case etcdserverpb::AlarmRequest::GET:
      return alarms_;
    case etcdserverpb::AlarmRequest::ACTIVATE:
      if (request.alarm() == etcdserverpb::NONE) return {};
      if (!present) alarms_.insert(at, alarm);
      return {alarm};
    case etcdserverpb::AlarmRequest::DEACTIVATE:
      if (!present) return {};
      alarms_.erase(at);
      return {alarm};
    default:
      return {};
  }
}

std::optional<kv::Error> AlarmSet::refusal(const regentpb::InternalRequest& request) const {
  if (raised(etcdserverpb::CORRUPT) && writes_store(request)) return kv::corrupt();
  if (raised(etcdserverpb::NOSPACE) && space_cost(request) > 0) return kv::no_space();
  return std::nullopt;
}

bool AlarmSet::raised(AlarmType type) const {
  return std::any_of(alarms_.begin(), alarms_.end(),
                     [type](const AlarmMember& a) { return a.alarm() == type; });
}

bool AlarmSet::raised(AlarmType type, uint64_t member) const {
  return std::any_of(alarms_.begin(), alarms_.end(), [&](const AlarmMember& a) {
    return a.alarm() == type && a.memberid() == member;
  });
}

void AlarmSet::restore(Alarms alarms) {
  std::sort(alarms.begin(), alarms.end(), before);
  alarms.erase(std::unique(alarms.begin(), alarms.end(), same), alarms.end());
  alarms_ = std::move(alarms);
}

std::string describe(const etcdserverpb::AlarmMember& alarm) {
  return fmt::format("memberID:{} alarm:{}", alarm.memberid(),
                     etcdserverpb::AlarmType_Name(alarm.alarm()));
}

}  // namespace regent::server
