// The doorbell's request text, and that ringing a bell nobody listens to (no
// socket, push off) returns at once without throwing: a post must never wait
// on or fail because of push. "At once" is counted, not timed: the thread
// makes no voluntary context switch (it never sleeps, in poll() or
// anywhere), which holds on a loaded machine and under the sanitizers where
// a millisecond bound did not. A publisher that accepts but never answers
// makes the same count rise (it waits kWaitMs for the status line), so the
// count can tell the two apart. The members events' Coalescer: the first
// change rings at once, a burst rings once more at the window's end, and
// nothing waiting is lost when it goes.
#include "core/doorbell.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "core/coalesce.h"

namespace chat {
namespace {

// The person doorbells of one post go as one request naming every
// person's channel, which nchan splits at the commas.
TEST(Doorbell, PeopleRequestNamesEveryChannelOnce) {
  EXPECT_EQ(PeopleRequest({7}),
            "POST /people?to=person_7 HTTP/1.0\r\nHost: chat-push\r\nContent-Type: "
            "application/json\r\nContent-Length: 20\r\n\r\n{\"type\":\"attention\"}");
  EXPECT_EQ(PeopleRequest({3, 7, 12}).substr(0, 48),
            "POST /people?to=person_3,person_7,person_12 HTTP");
}

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

// Voluntary context switches of this thread so far: each time it slept.
long Sleeps() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return u.ru_nvcsw;
}

// The fewest sleeps of five rings (one stray sleep, e.g. a page fault
// served from disk, does not decide; a ring that always waits does).
long FewestSleeps(const std::string& path) {
  Config config;
  config.push_socket = path;
  long fewest = -1;
  for (int i = 0; i < 5; ++i) {
    long before = Sleeps();
    RingDoorbell(config, "unit", 1, "{\"type\":\"message\",\"id\":1}");
    long slept = Sleeps() - before;
    if (fewest < 0 || slept < fewest) fewest = slept;
  }
  return fewest;
}

TEST(Doorbell, DeleteIsHttp10WithoutBody) {
  EXPECT_EQ(DeleteRequest("/streams/7/00ff"),
            "DELETE /streams/7/00ff HTTP/1.0\r\nHost: chat-push\r\nContent-Length: 0\r\n\r\n");
}

TEST(Doorbell, NobodyListeningReturnsAtOnce) {
  const char* sockets[] = {"", "/nonexistent/push.sock",
                           "/a/path/far/too/long/for/a/unix/socket/address/which/holds/only/"
                           "a/hundred/and/eight/bytes/including/its/terminating/nul.sock"};
  for (const char* path : sockets) EXPECT_EQ(FewestSleeps(path), 0) << path;
}

// The control: a listening socket that never accepts takes the request
// into its backlog and never answers, so each ring waits for the reply.
TEST(Doorbell, ASilentPublisherIsWaitedForBriefly) {
  char dir[] = "/tmp/chat-bell-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/push.sock";
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  EXPECT_GE(FewestSleeps(path), 1);
  close(fd);
  unlink(path.c_str());
  rmdir(dir);
}

// nginx drops a request whose client closed before nginx read it, so a
// ring nginx has not answered within the doorbell's own short wait must
// stay open: here the publisher accepts only after the ring returned, and
// finds the whole request on a connection that is still open (recv then
// says "nothing yet", not end of file).
TEST(Doorbell, AnUnansweredRingStaysOpenUntilThePublisherReadsIt) {
  char dir[] = "/tmp/chat-bell-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/push.sock";
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  Config config;
  config.push_socket = path;
  RingDoorbell(config, "unit", 7, "{\"type\":\"message\",\"id\":1}");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int conn = accept(fd, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  std::string want = DoorbellRequest(7, "{\"type\":\"message\",\"id\":1}");
  char buf[512];
  ssize_t n = recv(conn, buf, sizeof buf, MSG_DONTWAIT);
  ASSERT_EQ(n, static_cast<ssize_t>(want.size()));
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), want);
  errno = 0;
  EXPECT_EQ(recv(conn, buf, sizeof buf, MSG_DONTWAIT), -1)
      << "the ringer closed its end unanswered";
  EXPECT_EQ(errno, EAGAIN);
  // Answered, the ring is closed by the next one (or FinishDoorbells).
  const char kCreated[] = "HTTP/1.1 201 Created\r\n\r\n";
  ASSERT_EQ(send(conn, kCreated, sizeof kCreated - 1, MSG_NOSIGNAL),
            static_cast<ssize_t>(sizeof kCreated - 1));
  FinishDoorbells();
  EXPECT_EQ(recv(conn, buf, sizeof buf, MSG_DONTWAIT), 0) << "closed once answered";
  close(conn);
  close(fd);
  unlink(path.c_str());
  rmdir(dir);
}

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Counts the rings of each key.
struct Rings {
  std::atomic<int> of[3] = {};
  Coalescer::Ring Fn() {
    return [this](int64_t key) { of[key]++; };
  }
};

TEST(Coalescer, FirstChangeRingsAtOnceABurstOnceMoreAtTheWindowsEnd) {
  Rings rings;
  Coalescer bell(milliseconds(200), rings.Fn());
  auto t0 = Clock::now();
  bell.Changed(1);
  EXPECT_EQ(rings.of[1], 1) << "the first change rang before Changed returned";
  for (int i = 0; i < 100; ++i) bell.Changed(1);
  bell.Changed(2);  // another key has its own window
  EXPECT_EQ(rings.of[2], 1);
  double burst_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::this_thread::sleep_for(milliseconds(600));
  // However slow the machine, 101 changes in burst_ms ring at most once per
  // window after the first; on any machine fewer than 101 times.
  int most = 2 + static_cast<int>(burst_ms / 200);
  EXPECT_GE(rings.of[1], 2) << "the burst's last change rang at the window's end";
  EXPECT_LE(rings.of[1], most);
  EXPECT_LT(rings.of[1], 101);
  EXPECT_EQ(rings.of[2], 1);
}

TEST(Coalescer, WhatIsWaitingRingsWhenItGoes) {
  Rings rings;
  {
    Coalescer bell(std::chrono::hours(1), rings.Fn());
    bell.Changed(1);
    bell.Changed(1);  // waits for a window of an hour
    bell.Changed(1);
    EXPECT_EQ(rings.of[1], 1);
  }
  EXPECT_EQ(rings.of[1], 2) << "the destructor rang the waiting change";
}

}  // namespace
}  // namespace chat
