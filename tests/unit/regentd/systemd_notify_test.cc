// READY=1 and STOPPING=1 reach the socket systemd names in $NOTIFY_SOCKET, and nothing happens
// without one.
#include "systemd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace regent::regentd {
namespace {

TEST(SystemdNotify, NothingWithoutASocket) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(notify_ready());
  EXPECT_TRUE(notify_stopping());
}

TEST(SystemdNotify, ReadyAndStoppingReachTheSocket) {
  const std::string path = "/tmp/regentd-notify-test-" + std::to_string(getpid());
  unlink(path.c_str());
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, sizeof address.sun_path - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);

  EXPECT_TRUE(notify_ready());
  EXPECT_TRUE(notify_stopping());
  char buffer[256];
  const ssize_t ready = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
  ASSERT_GT(ready, 0);
  EXPECT_NE(std::string(buffer, ready).find("READY=1"), std::string::npos);
  const ssize_t stopping = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
  ASSERT_GT(stopping, 0);
  EXPECT_EQ(std::string(buffer, stopping), "STOPPING=1");

  unsetenv("NOTIFY_SOCKET");
  close(fd);
  unlink(path.c_str());
}

}  // namespace
}  // namespace regent::regentd
