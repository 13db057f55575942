#include "server/http/generic_call.h"

#include <poll.h>

#include <chrono>

namespace regent::server::http {

namespace {

// How often a waiting call looks at its HTTP client's socket.
constexpr std::chrono::milliseconds kHangupCheck{200};

grpc::ByteBuffer to_buffer(const google::protobuf::Message& m) {
  const std::string bytes = m.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool from_buffer(const grpc::ByteBuffer& buffer, google::protobuf::Message& m) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return m.ParseFromString(bytes);
}

bool hung_up(int fd) {
  if (fd < 0) return false;
  pollfd p{.fd = fd, .events = POLLRDHUP, .revents = 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace

GenericCall::GenericCall(grpc::GenericStub& stub, const std::string& method, int client_fd,
                         const Metadata& metadata)
    : client_fd_(client_fd) {
  for (const auto& [key, value] : metadata) context_.AddMetadata(key, value);
  stream_ = stub.PrepareCall(&context_, method, &queue_);
  stream_->StartCall(this);
  started_ = wait();
}

GenericCall::~GenericCall() {
  if (!finished_) {
    context_.TryCancel();
    grpc::Status ignored;
    stream_->Finish(&ignored, this);
    wait();
  }
  queue_.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue_.Next(&tag, &ok)) {
  }
}

bool GenericCall::wait() {
  void* tag = nullptr;
  bool ok = false;
  while (true) {
    const auto deadline = std::chrono::system_clock::now() + kHangupCheck;
    switch (queue_.AsyncNext(&tag, &ok, deadline)) {
      case grpc::CompletionQueue::GOT_EVENT:
        return ok;
      case grpc::CompletionQueue::SHUTDOWN:
        return false;
      case grpc::CompletionQueue::TIMEOUT:
        if (!client_gone_ && hung_up(client_fd_)) {
          client_gone_ = true;
          context_.TryCancel();
        }
        break;
    }
  }
}

bool GenericCall::write(const google::protobuf::Message& request, bool last) {
  if (!started_) return false;
  const grpc::ByteBuffer buffer = to_buffer(request);
  if (last) {
    stream_->WriteLast(buffer, grpc::WriteOptions(), this);
  } else {
    stream_->Write(buffer, this);
  }
  return wait();
}

bool GenericCall::read(google::protobuf::Message& response) {
  if (!started_) return false;
  grpc::ByteBuffer buffer;
  stream_->Read(&buffer, this);
  if (!wait()) return false;
  if (from_buffer(buffer, response)) return true;
  context_.TryCancel();  // Cannot happen between our own server and us; never wait on it.
  return false;
}

grpc::Status GenericCall::finish() {
  grpc::Status status;
  stream_->Finish(&status, this);
  wait();
  finished_ = true;
  return status;
}

}  // namespace regent::server::http
