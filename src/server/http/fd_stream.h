// cpp-httplib's Stream over a socket the member accepted itself (the library only streams the
// sockets it accepts), with the timeouts that keep a slow client from holding its thread.
//
// Invariants: read() and write() never block longer than their timeout (per call); read() also
// fails once the request's deadline passed (set by the HTTP face at each request), so a client that
// trickles a request a byte at a time is cut off after the deadline, not after timeout x bytes.
#pragma once

#include <httplib.h>

#include <chrono>

namespace regent::server::http {

class FdStream final : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  FdStream(int fd, std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout)
      : fd_(fd), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

  void set_read_deadline(Clock::time_point deadline) { deadline_ = deadline; }
  // A handler wrote its own response (a stream): whatever httplib writes after it is discarded,
  // and the connection ends with this request.
  void hijack() { hijacked_ = true; }
  bool hijacked() const { return hijacked_; }
  // Writes all of `bytes` (write() may write part); false if the client stopped taking them.
  bool write_all(std::string_view bytes);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

 private:
  const int fd_;
  const std::chrono::milliseconds read_timeout_;
  const std::chrono::milliseconds write_timeout_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool hijacked_ = false;
};

}  // namespace regent::server::http
