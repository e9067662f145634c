// The doorbell's one socket exchange: connect to the publisher's unix socket
// without blocking, write the whole request, then wait at most kWaitMs for the
// status line only to log a refusal. nginx has the request in its socket
// buffer once the write returned, so closing early still publishes; the wait
// is for the log, not for delivery.
#include "doorbell.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>

#include "log.h"

namespace chat {
namespace {

constexpr int kWaitMs = 5;  // the most a post waits on the publisher, per step

// Closes the descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool WaitFor(int fd, short events) {
  pollfd p{fd, events, 0};
  return poll(&p, 1, kWaitMs) == 1 && (p.revents & events) != 0;
}

// Sends the request; returns an error text, or "" when it was handed over.
std::string Send(const std::string& path, const std::string& request, std::string* reply) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return "socket path too long";
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return std::string("socket: ") + strerror(errno);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EAGAIN && errno != EINPROGRESS) return std::string("connect: ") + strerror(errno);
    if (!WaitFor(fd.get(), POLLOUT)) return "connect: timed out";
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EAGAIN && WaitFor(fd.get(), POLLOUT)) {
      continue;
    } else {
      return std::string("send: ") + (n < 0 ? strerror(errno) : "closed");
    }
  }
  char buf[64];
  if (WaitFor(fd.get(), POLLIN)) {
    ssize_t n = recv(fd.get(), buf, sizeof(buf) - 1, 0);
    if (n > 0) reply->assign(buf, static_cast<size_t>(n));
  }
  return "";
}

}  // namespace

std::string DoorbellRequest(int64_t room_id, const std::string& event) {
  return "POST /rooms/" + std::to_string(room_id) +
         " HTTP/1.0\r\nHost: chat-push\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(event.size()) + "\r\n\r\n" + event;
}

std::string PeopleRequest(const std::vector<int64_t>& users) {
  static const std::string kEvent = "{\"type\":\"attention\"}";
  std::string to;
  for (int64_t u : users) to += (to.empty() ? "person_" : ",person_") + std::to_string(u);
  return "POST /people?to=" + to +
         " HTTP/1.0\r\nHost: chat-push\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(kEvent.size()) + "\r\n\r\n" + kEvent;
}

std::string DeleteRequest(const std::string& path) {
  return "DELETE " + path + " HTTP/1.0\r\nHost: chat-push\r\nContent-Length: 0\r\n\r\n";
}

namespace {

// Sends `request` and logs what went wrong under `what`. A reply whose
// status starts with one of `ok` (e.g. "2", "404") is success.
void Exchange(const Config& config, const char* program, const std::string& what,
              const std::string& request, std::initializer_list<const char*> ok) {
  if (config.push_socket.empty()) return;
  std::string reply;
  std::string error = Send(config.push_socket, request, &reply);
  if (error.empty() && reply.size() >= 12) {
    std::string status = reply.substr(9, 3);  // "HTTP/1.x NNN"
    bool fine = false;
    for (const char* prefix : ok) fine = fine || status.compare(0, strlen(prefix), prefix) == 0;
    if (!fine) error = "refused: " + reply.substr(0, reply.find('\r'));
  }
  if (!error.empty()) LogLine(program, what + ": " + error);
}

}  // namespace

void RingDoorbell(const Config& config, const char* program, int64_t room_id,
                  const std::string& event) {
  // nchan answers 201 (first message on the channel) or 202 (queued).
  Exchange(config, program, "doorbell for room " + std::to_string(room_id),
           DoorbellRequest(room_id, event), {"2"});
}

void RingPeopleDoorbells(const Config& config, const char* program,
                         const std::vector<int64_t>& users) {
  // nchan multiplexes at most 255 channel ids; a post names at most 100
  // people (core/mentions.h) plus the other person of a direct room.
  constexpr size_t kPerRequest = 200;
  for (size_t i = 0; i < users.size(); i += kPerRequest) {
    std::vector<int64_t> part(users.begin() + i,
                              users.begin() + std::min(users.size(), i + kPerRequest));
    Exchange(config, program, "attention doorbell for " + std::to_string(part.size()) + " people",
             PeopleRequest(part), {"2"});
  }
}

void DeleteChannel(const Config& config, const char* program, const std::string& path) {
  // nchan answers 200 (deleted, its subscribers closed) or 404 (nobody had
  // subscribed to it, or it was deleted already).
  Exchange(config, program, "closing " + path, DeleteRequest(path), {"2", "404"});
}

}  // namespace chat
