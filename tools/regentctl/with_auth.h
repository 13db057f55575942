// What every auth, user and role command does before its request: read -w, connect with the
// global flags (--user included), and hand the body an Auth client.
#pragma once

#include "auth_print.h"
#include "client/auth.h"
#include "command.h"

namespace regent::ctl {

template <class Body>
int with_auth(const Globals& g, Body body) {
  auto o = print_options(g, false);
  if (!o) return kExitUsage;
  auto client = connect(g);
  if (!client) return kExitError;
  return body(*o, client::Auth(client));
}

}  // namespace regent::ctl
