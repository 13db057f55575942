// How one watcher's events become WatchResponses, as etcd shapes them:
//  - its filters drop puts (NOPUT) or deletes (NODELETE); events left empty send nothing;
//  - prev_kv is kept only when the watcher asked for it;
//  - a response carries whole revisions, at most `max_revisions` of them (etcd's
//    watchBatchMaxRevs) and, unless one revision alone is larger, at most `max_bytes`;
//  - a watcher created with `fragment` gets a response larger than `max_bytes` as fragments
//    (etcd's sendFragments): every piece holds at least one event and stays under the limit if
//    it can, all but the last have fragment = true, and the client joins them.
// Each group's header revision is the revision its watcher has now seen everything up to: its
// last event's, or `complete_to` for the last group.
#pragma once

#include <cstdint>
#include <vector>

#include "etcdserverpb/rpc.pb.h"
#include "kv/types.h"

namespace regent::server {

struct WatchFilter {
  bool no_put = false;
  bool no_delete = false;
  bool prev_kv = false;

  bool drops(const kv::Event& e) const {
    return e.type == kv::Event::Type::kPut ? no_put : no_delete;
  }
};

struct BatchLimits {
  size_t max_bytes = 2 * 1024 * 1024;  // --max-request-bytes + gRPC's 512 KiB, as etcd.
  int max_revisions = 1000;
  bool fragment = false;
};

// One response, or the fragments of one: whole revisions [first_revision, last_revision].
struct ResponseGroup {
  std::vector<etcdserverpb::WatchResponse> responses;
  int64_t first_revision = 0;
  int64_t last_revision = 0;
  size_t bytes = 0;
};

mvccpb::Event to_proto(const kv::Event& e, bool with_prev_kv);

// `events` are the watcher's (in its key range, at or after its next revision), in revision
// order; `header` supplies everything but the revision.
std::vector<ResponseGroup> batch_events(int64_t watch_id,
                                        const std::vector<const kv::Event*>& events,
                                        const WatchFilter& filter, const BatchLimits& limits,
                                        const etcdserverpb::ResponseHeader& header,
                                        int64_t complete_to);

}  // namespace regent::server
