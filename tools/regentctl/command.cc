#include "command.h"

#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "client/credentials.h"
#include "password.h"

namespace regent::ctl {

namespace {

std::atomic<int> g_signal{0};

client::Context& interrupt_context() {
  static client::Context ctx;
  return ctx;
}

}  // namespace

const client::Context& interrupted() { return interrupt_context(); }

int received_signal() { return g_signal.load(); }

void install_signal_handling() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // Lives as long as the process; sigwait is the only safe way to act on a signal with threads.
  std::thread([set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      int expected = 0;
      g_signal.compare_exchange_strong(expected, sig);
      interrupt_context().cancel();
    }
  }).detach();
}

std::optional<std::chrono::nanoseconds> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return std::chrono::nanoseconds(0);
  double total_ns = 0;
  size_t i = 0;
  // Bounded by the text: each round consumes a number and a unit.
  while (i < text.size()) {
    size_t used = 0;
    double number = 0;
    try {
      number = std::stod(text.substr(i), &used);
    } catch (...) {
      return std::nullopt;
    }
    if (used == 0 || number < 0) return std::nullopt;
    i += used;
    size_t unit_end = i;
    while (unit_end < text.size() && !std::isdigit(static_cast<unsigned char>(text[unit_end])) &&
           text[unit_end] != '.') {
      ++unit_end;
    }
    const std::string unit = text.substr(i, unit_end - i);
    i = unit_end;
    double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "\u00b5s")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else
      return std::nullopt;
    total_ns += number * scale;
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total_ns)));
}

std::optional<int64_t> parse_lease_id(const std::string& text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 16);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(v);
}

int report(const client::Error& error) {
  // gRPC's C++ server answers an unknown service or method with no text at all; the code is
  // then all there is to say.
  if (error.message.empty()) return report(std::string(client::code_name(error.code)));
  return report(error.message);
}

int report(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return kExitError;
}

int usage(const std::string& message) {
  fmt::print(stderr, "Error: {}\n", message);
  return kExitUsage;
}

std::optional<PrintOptions> print_options(const Globals& g, bool table_ok) {
  auto format = parse_format(g.write_out);
  if (!format) {
    usage("unknown output format \"" + g.write_out + "\" (want simple, json or table)");
    return std::nullopt;
  }
  if (*format == Format::kTable && !table_ok) {
    usage("table not supported as output format");
    return std::nullopt;
  }
  return PrintOptions{.format = *format, .hex = g.hex};
}

std::shared_ptr<client::Client> connect(const Globals& g) {
  const auto dial = parse_duration(g.dial_timeout);
  const auto timeout = parse_duration(g.command_timeout);
  if (!dial || !timeout) {
    usage("bad --dial-timeout or --command-timeout (want a duration such as 5s or 500ms)");
    return nullptr;
  }
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  client::ClientOptions options{.endpoints = g.endpoints,
                                .tls = g.tls,
                                .dial_timeout = duration_cast<milliseconds>(*dial),
                                .request_timeout = duration_cast<milliseconds>(*timeout)};
  if (auto user = client::parse_user_flag(g.user, g.password)) {
    options.username = user->username;
    if (!user->password) user->password = read_password("Password: ");
    if (!user->password) {
      report("failed to read the password of --user");
      return nullptr;
    }
    options.password = *user->password;
  }
  auto c = client::Client::connect(std::move(options));
  if (!c) {
    report(c.error());
    return nullptr;
  }
  return *c;
}

client::Context command_context(const Globals& g) {
  const auto timeout = parse_duration(g.command_timeout).value_or(std::chrono::seconds(5));
  return interrupted().with_timeout_from_now(
      std::chrono::duration_cast<client::Context::Clock::duration>(timeout));
}

}  // namespace regent::ctl
