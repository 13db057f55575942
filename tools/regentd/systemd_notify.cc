#include "systemd_notify.h"

#include <systemd/sd-daemon.h>

namespace regent::regentd {

// sd_notify: > 0 sent, 0 no $NOTIFY_SOCKET (not under systemd, or Type=simple), < 0 failed.
bool notify_ready() { return sd_notify(0, "READY=1\nSTATUS=serving clients") >= 0; }

bool notify_stopping() { return sd_notify(0, "STOPPING=1") >= 0; }

}  // namespace regent::regentd
