// Log entries (InternalRequest) and a member table for the state machine's tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "regentpb/request.pb.h"

namespace regent::server::testing {

inline regentpb::InternalRequest put(const std::string& key, const std::string& value) {
  regentpb::InternalRequest r;
  r.mutable_put()->set_key(key);
  r.mutable_put()->set_value(value);
  return r;
}

inline regentpb::InternalRequest del(const std::string& key) {
  regentpb::InternalRequest r;
  r.mutable_delete_range()->set_key(key);
  return r;
}

inline regentpb::InternalRequest compact(int64_t revision) {
  regentpb::InternalRequest r;
  r.mutable_compaction()->set_revision(revision);
  return r;
}

inline regentpb::InternalRequest publish(uint64_t id, const std::string& client_url) {
  regentpb::InternalRequest r;
  r.mutable_publish()->set_id(id);
  r.mutable_publish()->add_client_urls(client_url);
  return r;
}

// One member, id 7, named "a".
inline std::vector<regentpb::Member> members() {
  regentpb::Member m;
  m.set_id(7);
  m.set_name("a");
  m.add_peer_urls("http://127.0.0.1:2380");
  return {m};
}

}  // namespace regent::server::testing
