// The HTTP/1.1 side of the client port (the listener hands it each connection that does not open
// with the HTTP/2 preface): the JSON gateway under /v3/ and /v3beta/ (gateway.h), GET /health
// and GET /version (health.h), GET /metrics (metrics.h). cpp-httplib parses requests and writes
// responses; the routing and the status codes are ours, as etcd 3.4 answers:
//   unknown path 404; known path, wrong method 405 (with Allow); malformed JSON 400; body over
//   the limit 413; a gRPC error the status grpc-gateway gives its code.
//
// Invariants (each bounds what one client can cost the others; none involves the Raft loop,
// which the face reaches only through the gRPC services' non-blocking entry points):
//  - a request must arrive whole within request_deadline, and each read or write waits at most
//    its timeout; an idle keep-alive connection is closed after keep_alive_timeout;
//  - a body over max_body_bytes is refused (413) without being kept;
//  - a call waiting for the member is cancelled when its HTTP client hangs up.
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>

#include "server/http/gateway.h"
#include "server/http/member_view.h"

namespace regent::server::http {

struct HttpFaceOptions {
  size_t max_body_bytes = 2 * 1024 * 1024;
  std::chrono::milliseconds read_timeout{5000};
  std::chrono::milliseconds write_timeout{5000};
  std::chrono::milliseconds keep_alive_timeout{5000};
  std::chrono::milliseconds request_deadline{10000};
  size_t max_requests_per_connection = 1000;
  // etcd's --listen-metrics-urls port: /metrics and /health only, everything else 404.
  bool metrics_only = false;
};

class HttpFace final : private httplib::Server {
 public:
  HttpFace(const HttpFaceOptions& options, MemberView member,
           std::shared_ptr<grpc::Channel> channel);

  // Serves the connection's requests until the client closes it, stays idle, or errs. The
  // caller keeps the fd (and closes it).
  void serve(int fd);

 private:
  void route(const httplib::Request& request, httplib::Response& response);
  void gateway(std::string_view suffix, const httplib::Request& request,
               httplib::Response& response);

  const HttpFaceOptions options_;
  const MemberView member_;
  const std::shared_ptr<grpc::Channel> channel_;  // The status page asks its member through it.
  Gateway gateway_;
};

}  // namespace regent::server::http
