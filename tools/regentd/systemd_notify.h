// Readiness for systemd (Type=notify), through libsystemd's sd_notify: a no-op unless systemd
// started regentd with $NOTIFY_SOCKET. Debian's etcd unit is Type=notify, so without this an
// etcd unit with the binary name changed would wait for a READY=1 that never came and kill the
// member after TimeoutStartSec.
//
// etcd reports ready once the member has published itself to the cluster (which needs a quorum);
// regentd reports ready once it has recovered its data and listens on its client and peer ports,
// so `systemctl start` on the first machine of a new cluster does not wait for the other two.
#pragma once

namespace regent::regentd {

// READY=1. Returns false if $NOTIFY_SOCKET was set but the message could not be sent.
bool notify_ready();

// STOPPING=1, at the start of a graceful stop.
bool notify_stopping();

}  // namespace regent::regentd
