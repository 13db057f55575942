#include "server/http/http_face.h"

#include <fmt/format.h>
#include <poll.h>

#include "server/http/fd_stream.h"
#include "server/http/health.h"
#include "server/http/metrics.h"
#include "server/http/status_page.h"

namespace regent::server::http {

namespace {

constexpr const char* kJson = "application/json";

// The connection this thread serves: httplib's handlers do not see it, a call that waits must
// watch it for the client hanging up, and a stream writes to it. Set by serve() around its
// requests.
thread_local FdStream* t_connection = nullptr;

// The chunked response of a stream, written by the handler itself: httplib 0.11 runs content
// providers only under its own listen() loop, which this member does not use. The connection
// closes after it, as a stream ends only when its call or its client does.
constexpr std::string_view kStreamHead =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    "Connection: close\r\n\r\n";

bool write_chunk(FdStream& stream, std::string_view data) {
  return stream.write_all(fmt::format("{:x}\r\n", data.size())) && stream.write_all(data) &&
         stream.write_all("\r\n");
}

void reply(httplib::Response& response, const Reply& r) {
  response.status = r.status;
  response.set_content(r.body, kJson);
}

void method_not_allowed(httplib::Response& response, const char* allowed) {
  response.set_header("Allow", allowed);
  reply(response, error_reply(405, grpc::StatusCode::UNIMPLEMENTED, "method not allowed"));
}

bool idle_until_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0 && (p.revents & POLLIN) != 0;
}

}  // namespace

HttpFace::HttpFace(const HttpFaceOptions& options, MemberView member,
                   std::shared_ptr<grpc::Channel> channel)
    : options_(options),
      member_(std::move(member)),
      channel_(channel),
      gateway_(std::move(channel)) {
  set_payload_max_length(options_.max_body_bytes);
  set_keep_alive_max_count(options_.max_requests_per_connection);
  set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(options_.keep_alive_timeout).count());
  // etcd's gateway takes a POST with no body (and no Content-Length) as the empty request;
  // httplib would refuse it (400), so such a request is routed before httplib reads a body.
  set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    if (request.method != "POST" || request.has_header("Content-Length") ||
        request.has_header("Transfer-Encoding")) {
      return HandlerResponse::Unhandled;
    }
    route(request, response);
    return HandlerResponse::Handled;
  });
  const Handler handler = [this](const httplib::Request& request, httplib::Response& response) {
    route(request, response);
  };
  Get(".*", handler);
  Post(".*", handler);
  Put(".*", handler);
  Patch(".*", handler);
  Delete(".*", handler);
  Options(".*", handler);
  // What httplib answers itself (413, a request line it cannot parse) gets a JSON body too.
  const size_t limit = options_.max_body_bytes;
  set_error_handler(
      HandlerWithResponse([limit](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) return HandlerResponse::Unhandled;  // One of ours.
        const int status = response.status;
        if (status == 413) {
          reply(response, error_reply(status, grpc::StatusCode::RESOURCE_EXHAUSTED,
                                      fmt::format("request body larger than {} bytes", limit)));
        } else {
          reply(response,
                error_reply(status, grpc::StatusCode::INVALID_ARGUMENT, http_status_text(status)));
        }
        return HandlerResponse::Handled;
      }));
}

void HttpFace::serve(int fd) {
  FdStream stream(fd, options_.read_timeout, options_.write_timeout);
  t_connection = &stream;
  for (size_t n = 0; n < options_.max_requests_per_connection; ++n) {
    // The listener sniffed the first request's bytes: they are there.
    if (n > 0 && !idle_until_readable(fd, options_.keep_alive_timeout)) break;
    stream.set_read_deadline(FdStream::Clock::now() + options_.request_deadline);
    bool closed = false;
    const bool last = n + 1 == options_.max_requests_per_connection;
    if (!process_request(stream, last, closed, [](httplib::Request&) {}) || closed ||
        stream.hijacked()) {
      break;
    }
  }
  t_connection = nullptr;
}

void HttpFace::route(const httplib::Request& request, httplib::Response& response) {
  const std::string& path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/health") {
    if (!get) return method_not_allowed(response, "GET");
    return reply(response, health(member_, request.get_param_value("serializable") == "true"));
  }
  if (path == "/metrics") {
    if (!get) return method_not_allowed(response, "GET");
    response.status = 200;
    return response.set_content(render_metrics(member_), kMetricsContentType);
  }
  if (options_.metrics_only) {
    return reply(response, error_reply(404, grpc::StatusCode::NOT_FOUND,
                                       "no such path: " + path +
                                           " (this port serves /metrics and "
                                           "/health only)"));
  }
  if (path == "/version") {
    if (!get) return method_not_allowed(response, "GET");
    return reply(response, version());
  }
  if (path == "/" || path == "/ui") {
    if (!get) return method_not_allowed(response, "GET");
    response.status = 200;
    return response.set_content(std::string(status_page_html()), "text/html; charset=utf-8");
  }
  if (path == "/regent/status") {
    if (!get) return method_not_allowed(response, "GET");
    response.status = 200;
    return response.set_content(status_json(member_, *channel_), kJson);
  }
  if (const std::string_view suffix = gateway_suffix(path); !suffix.empty()) {
    return gateway(suffix, request, response);
  }
  reply(response, error_reply(404, grpc::StatusCode::NOT_FOUND, "no such path: " + path));
}

void HttpFace::gateway(std::string_view suffix, const httplib::Request& request,
                       httplib::Response& response) {
  const GatewayRoute* route = find_route(suffix);
  if (route == nullptr) {
    return reply(response,
                 error_reply(404, grpc::StatusCode::NOT_FOUND, "no such path: " + request.path));
  }
  if (request.method != "POST") return method_not_allowed(response, "POST");
  auto parsed = Gateway::parse(*route, request.body);
  if (!parsed) return reply(response, parsed.error());
  // etcd's gateway passes the Authorization header on as the call's token; which HTTP client
  // it is counts its Authenticate attempts (server/auth/attempt_limiter.h).
  GenericCall::Metadata metadata{
      {"regent-http-client", request.remote_addr + ":" + std::to_string(request.remote_port)}};
  if (request.has_header("Authorization")) {
    metadata.emplace_back("token", request.get_header_value("Authorization"));
  }
  if (route->kind == CallKind::kUnary) {
    return reply(response, gateway_.call(*route, **parsed, t_connection->socket(), metadata));
  }
  FdStream& stream = *t_connection;
  bool open = stream.write_all(kStreamHead);
  if (open) {
    gateway_.stream(
        *route, **parsed, stream.socket(),
        [&](const std::string& line) {
          open = open && write_chunk(stream, line);
          return open;
        },
        metadata);
    if (open) stream.write_all("0\r\n\r\n");
  }
  stream.hijack();
  response.status = 200;  // Discarded with whatever else httplib writes: the response is out.
}

}  // namespace regent::server::http
