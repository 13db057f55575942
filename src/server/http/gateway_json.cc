#include "server/http/gateway_json.h"

#include <google/protobuf/util/json_util.h>

#include "common/json.h"

namespace regent::server::http {

int http_status_from_grpc(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 408;
    case grpc::StatusCode::UNKNOWN:
      return 500;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return 412;  // v1; v2 of the gateway says 400.
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::INTERNAL:
      return 500;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DATA_LOSS:
      return 500;
    default:
      return 500;
  }
}

std::string_view http_status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

Reply error_reply(int http_status, grpc::StatusCode code, std::string_view message) {
  Json j;
  j.begin_object();
  j.key("error").string(message);
  j.key("message").string(message);
  j.key("code").number(static_cast<int64_t>(code));
  j.end_object();
  return Reply{.status = http_status, .body = j.str()};
}

Reply error_reply(const grpc::Status& status) {
  return error_reply(http_status_from_grpc(status.error_code()), status.error_code(),
                     status.error_message());
}

std::string stream_error_line(const grpc::Status& status) {
  const int http = http_status_from_grpc(status.error_code());
  Json j;
  j.begin_object().key("error").begin_object();
  j.key("grpc_code").number(static_cast<int64_t>(status.error_code()));
  j.key("http_code").number(http);
  j.key("message").string(status.error_message());
  j.key("http_status").string(http_status_text(http));
  j.end_object().end_object();
  return j.str() + "\n";
}

Expected<void, std::string> parse_request(std::string_view body,
                                          google::protobuf::Message& message) {
  message.Clear();
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return {};
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &message, options);
  if (!status.ok()) {
    // protobuf's message goes on with a caret line under the input; its first line says it.
    std::string why(status.message().data(), status.message().size());
    why = why.substr(0, why.find('\n'));
    return unexpected("invalid JSON for " + message.GetDescriptor()->full_name() + ": " + why);
  }
  return {};
}

std::string print_response(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = false;
  std::string out;
  // Printing a well-formed message cannot fail (no Any with an unknown type is ever answered).
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

std::string stream_result_line(const google::protobuf::Message& message) {
  return "{\"result\":" + print_response(message) + "}\n";
}

}  // namespace regent::server::http
