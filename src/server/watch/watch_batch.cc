#include "server/watch/watch_batch.h"

#include <google/protobuf/io/coded_stream.h>

#include "server/node/kv_convert.h"

namespace regent::server {

namespace {

// An event's bytes inside a WatchResponse: tag, length prefix and body.
size_t framed(size_t body) {
  return 1 + google::protobuf::io::CodedOutputStream::VarintSize64(body) + body;
}

// What a response costs besides its events: header, watch id, flags (an over-estimate).
size_t overhead(const etcdserverpb::ResponseHeader& header) {
  return framed(header.ByteSizeLong()) + 32;
}

// Splits one group's events into fragments (etcd's sendFragments): each piece takes events
// while it stays under the limit, and at least one.
std::vector<etcdserverpb::WatchResponse> fragment(etcdserverpb::WatchResponse whole, size_t base,
                                                  size_t max_bytes) {
  std::vector<etcdserverpb::WatchResponse> pieces;
  etcdserverpb::WatchResponse proto = whole;
  proto.clear_events();
  proto.set_fragment(true);
  etcdserverpb::WatchResponse piece = proto;
  size_t bytes = base;
  for (mvccpb::Event& e : *whole.mutable_events()) {
    const size_t size = framed(e.ByteSizeLong());
    if (piece.events_size() > 0 && bytes + size >= max_bytes) {
      pieces.push_back(std::move(piece));
      piece = proto;
      bytes = base;
    }
    *piece.add_events() = std::move(e);
    bytes += size;
  }
  piece.set_fragment(false);
  pieces.push_back(std::move(piece));
  return pieces;
}

}  // namespace

mvccpb::Event to_proto(const kv::Event& e, bool with_prev_kv) {
  mvccpb::Event out;
  out.set_type(e.type == kv::Event::Type::kPut ? mvccpb::Event::PUT : mvccpb::Event::DELETE);
  *out.mutable_kv() = to_proto(e.kv);
  if (with_prev_kv && e.prev_kv) *out.mutable_prev_kv() = to_proto(*e.prev_kv);
  return out;
}

std::vector<ResponseGroup> batch_events(int64_t watch_id,
                                        const std::vector<const kv::Event*>& events,
                                        const WatchFilter& filter, const BatchLimits& limits,
                                        const etcdserverpb::ResponseHeader& header,
                                        int64_t complete_to) {
  // The events that pass the filters, converted, in runs of one revision each.
  struct Run {
    std::vector<mvccpb::Event> events;
    int64_t revision = 0;
    size_t bytes = 0;
  };
  std::vector<Run> runs;
  for (const kv::Event* e : events) {
    if (filter.drops(*e)) continue;
    if (runs.empty() || runs.back().revision != e->kv.mod_revision) {
      runs.push_back(Run{.revision = e->kv.mod_revision});
    }
    Run& run = runs.back();
    run.events.push_back(to_proto(*e, filter.prev_kv));
    run.bytes += framed(run.events.back().ByteSizeLong());
  }
  // Whole runs into responses, a new one when the next run would pass a limit.
  const size_t base = overhead(header);
  std::vector<ResponseGroup> groups;
  int revisions = 0;
  for (Run& run : runs) {
    if (groups.empty() || revisions >= limits.max_revisions ||
        groups.back().bytes + run.bytes > limits.max_bytes) {
      groups.push_back(ResponseGroup{.responses = {etcdserverpb::WatchResponse()},
                                     .first_revision = run.revision,
                                     .bytes = base});
      revisions = 0;
    }
    ResponseGroup& g = groups.back();
    for (mvccpb::Event& e : run.events) *g.responses.front().add_events() = std::move(e);
    g.bytes += run.bytes;
    g.last_revision = run.revision;
    ++revisions;
  }

  for (size_t i = 0; i < groups.size(); ++i) {
    ResponseGroup& g = groups[i];
    etcdserverpb::WatchResponse& r = g.responses.front();
    *r.mutable_header() = header;
    r.mutable_header()->set_revision(i + 1 == groups.size() ? complete_to : g.last_revision);
    r.set_watch_id(watch_id);
    if (limits.fragment && g.bytes > limits.max_bytes && r.events_size() > 1) {
      g.responses = fragment(std::move(r), base, limits.max_bytes);
    }
  }
  return groups;
}

}  // namespace regent::server
