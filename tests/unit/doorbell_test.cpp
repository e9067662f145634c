// The doorbell's request text, and that ringing a bell nobody listens to (no
// socket, push off) returns at once without throwing: a post must never wait
// on or fail because of push.
#include "core/doorbell.h"

#include <gtest/gtest.h>

#include <chrono>

namespace chat {
namespace {

TEST(Doorbell, RequestIsHttp10PostWithExactLength) {
  struct Case {
    int64_t room;
    std::string event;
    std::string want;
  };
  const Case cases[] = {
      {7, "{\"type\":\"room_deleted\"}",
       "POST /rooms/7 HTTP/1.0\r\nHost: chat-push\r\nContent-Type: application/json\r\n"
       "Content-Length: 23\r\n\r\n{\"type\":\"room_deleted\"}"},
      {123456789, "{}",
       "POST /rooms/123456789 HTTP/1.0\r\nHost: chat-push\r\nContent-Type: application/json\r\n"
       "Content-Length: 2\r\n\r\n{}"},
  };
  for (const Case& c : cases) EXPECT_EQ(DoorbellRequest(c.room, c.event), c.want);
}

TEST(Doorbell, NobodyListeningReturnsAtOnce) {
  const char* sockets[] = {"", "/nonexistent/push.sock",
                           "/a/path/far/too/long/for/a/unix/socket/address/which/holds/only/"
                           "a/hundred/and/eight/bytes/including/its/terminating/nul.sock"};
  for (const char* path : sockets) {
    Config config;
    config.push_socket = path;
    auto t0 = std::chrono::steady_clock::now();
    RingDoorbell(config, "unit", 1, "{\"type\":\"message\",\"id\":1}");
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    EXPECT_LT(ms, 50) << path;
  }
}

}  // namespace
}  // namespace chat
