// Passwords for --user and user add/passwd, asked for as etcdctl asks: on a terminal with the
// echo off, otherwise read from standard input, so scripts can pipe them in.
#pragma once

#include <optional>
#include <string>

namespace regent::ctl {

// Whether standard input is a terminal (passwords are then typed, not piped).
bool stdin_is_terminal();

// On a terminal: prints `prompt` and reads a line with the echo off. Otherwise: reads one line of
// standard input, without its line ending, and prints nothing. nullopt at end of input.
std::optional<std::string> read_password(const std::string& prompt);

}  // namespace regent::ctl
