// The JSON mapping of etcd 3.4's gateway (grpc-gateway v1 with JSONPb{OrigName: true}): proto
// field names as written in the .proto, fields at their default left out, 64-bit integers as
// strings, bytes as base64, enums by name; unknown fields in a request are ignored and an empty
// body is the empty request, as the gateway's decoder allows. The conversion is protobuf's own.
//
// Errors as the gateway answers them: the HTTP status of the gRPC code (grpc-gateway v1's
// HTTPStatusFromCode) and {"error": msg, "message": msg, "code": grpc_code} for a unary call;
// on a stream, one line {"error": {"grpc_code", "http_code", "message", "http_status"}}.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

#include "common/expected.h"

namespace regent::server::http {

// An HTTP answer: status and a JSON body.
struct Reply {
  int status = 200;
  std::string body;
};

int http_status_from_grpc(grpc::StatusCode code);
// The reason phrase of an HTTP status ("Service Unavailable"); "" if unknown.
std::string_view http_status_text(int status);

// The unary error reply for a gRPC status (never OK).
Reply error_reply(const grpc::Status& status);
// The same body with an HTTP status of our own (404, 405, 413: no gRPC call was made).
Reply error_reply(int http_status, grpc::StatusCode code, std::string_view message);
// One line of a stream that ended in error.
std::string stream_error_line(const grpc::Status& status);

// Parses a request body into `message`; the error says where the JSON is wrong.
Expected<void, std::string> parse_request(std::string_view body,
                                          google::protobuf::Message& message);
// A response, as the gateway prints it.
std::string print_response(const google::protobuf::Message& message);
// {"result": <message>} and a newline: one message of a stream.
std::string stream_result_line(const google::protobuf::Message& message);

}  // namespace regent::server::http
