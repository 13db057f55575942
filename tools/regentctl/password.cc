#include "password.h"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace regent::ctl {

namespace {

std::optional<std::string> read_line() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Restores the terminal's settings however the read ends.
class EchoOff {
 public:
  EchoOff() : ok_(tcgetattr(STDIN_FILENO, &saved_) == 0) {
    if (!ok_) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  ~EchoOff() {
    if (ok_) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
  bool ok_;
};

}  // namespace

bool stdin_is_terminal() { return isatty(STDIN_FILENO) == 1; }

std::optional<std::string> read_password(const std::string& prompt) {
  if (!stdin_is_terminal()) return read_line();
  fmt::print("{}", prompt);
  std::fflush(stdout);
  std::optional<std::string> line;
  {
    EchoOff quiet;
    line = read_line();
  }
  fmt::print("\n");  // The user's Enter was not echoed.
  return line;
}

}  // namespace regent::ctl
