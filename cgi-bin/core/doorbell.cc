// The doorbell's one socket exchange: connect to the publisher's unix socket
// without blocking, write the whole request, then wait at most kWaitMs for the
// status line, to log a refusal. An exchange nginx has not answered by then
// is not closed: it is kept open (Unanswered, below) until nginx answers or
// kAnswerMs passes, because nginx never publishes a request whose client
// closed, or half-closed, before nginx read it. It sees the end of the
// connection with the request and drops it, as a 499 (README "Instant
// delivery (push)": with 10,000 streams on a room an nginx worker spends
// hundreds of milliseconds delivering one post, and every doorbell that
// arrived meanwhile was lost, a fifth of the posts in `make bench`'s S7).
#include "doorbell.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <vector>

#include "log.h"

namespace chat {
namespace {

constexpr int kWaitMs = 5;  // the most a post waits on the publisher, per step
// How long an unanswered exchange is kept open for nginx to read it: a busy
// nginx worker answers within a second (S7 at 10,000 streams on a loaded
// machine); one that has not answered in this long is stuck or gone.
constexpr std::chrono::seconds kAnswerWait{10};
// At most this many unanswered exchanges per process (each one descriptor);
// past it the oldest is given up, and logged.
constexpr size_t kMaxUnanswered = 256;

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
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

bool WaitFor(int fd, short events) {
  pollfd p{fd, events, 0};
  return poll(&p, 1, kWaitMs) == 1 && (p.revents & events) != 0;
}

// Sends the request; returns an error text, or "" when it was handed over.
// When nginx has not answered within kWaitMs, *unanswered takes the open
// descriptor (-1 otherwise) and `reply` stays empty.
std::string Send(const std::string& path, const std::string& request, std::string* reply,
                 int* unanswered) {
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
    return "";
  }
  *unanswered = fd.Release();
  return "";
}

// "" when `reply`'s status starts with one of `ok` (or there is no reply
// to judge), else the refusal to log.
std::string Judge(const std::string& reply, const std::vector<const char*>& ok) {
  if (reply.size() < 12) return "";
  std::string status = reply.substr(9, 3);  // "HTTP/1.x NNN"
  for (const char* prefix : ok) {
    if (status.compare(0, strlen(prefix), prefix) == 0) return "";
  }
  return "refused: " + reply.substr(0, reply.find('\r'));
}

// The exchanges nginx had not answered within kWaitMs, held open until it
// does (see the top of this file). Each ring first collects the answers that
// came meanwhile (a poll() with no wait), so no thread is needed: an answered
// exchange waits at most until the process's next ring to be closed, which
// costs one descriptor. Finish() waits for all of them, for a process about
// to exit (chatctl). Never destroyed, so a static destructor may still ring.
class Unanswered {
 public:
  static Unanswered& Get() {
    static Unanswered* const kOne = new Unanswered;
    return *kOne;
  }

  void Add(int fd, const char* program, std::string what, std::vector<const char*> ok) {
    std::lock_guard<std::mutex> lock(mu_);
    if (held_.size() >= kMaxUnanswered) {
      Close(held_.front(), "no answer, given up (too many waiting)");
      held_.erase(held_.begin());
    }
    held_.push_back({fd, Clock::now() + kAnswerWait, program, std::move(what), std::move(ok)});
  }

  // Closes the exchanges that were answered or waited kAnswerWait, waiting up
  // to `wait_ms` for one of them.
  void Collect(int wait_ms) {
    std::lock_guard<std::mutex> lock(mu_);
    if (held_.empty()) return;
    std::vector<pollfd> fds;
    for (const Held& h : held_) fds.push_back({h.fd, POLLIN, 0});
    poll(fds.data(), fds.size(), wait_ms);
    Clock::time_point now = Clock::now();
    std::vector<Held> still;
    for (size_t i = 0; i < held_.size(); ++i) {
      if (fds[i].revents != 0) {
        Close(held_[i], "closed without an answer");
      } else if (now >= held_[i].deadline) {
        Close(held_[i], "no answer in 10 s");
      } else {
        still.push_back(std::move(held_[i]));
      }
    }
    held_.swap(still);
  }

  // Waits until every held exchange was answered, at most kAnswerWait.
  void Finish() {
    Clock::time_point until = Clock::now() + kAnswerWait + std::chrono::seconds(1);
    while (Clock::now() < until) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (held_.empty()) return;
      }
      Collect(20);
    }
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Held {
    int fd;
    Clock::time_point deadline;
    const char* program;
    std::string what;
    std::vector<const char*> ok;
  };

  // Reads what nginx answered (if anything), closes, logs a refusal.
  static void Close(const Held& h, const std::string& why) {
    char buf[64];
    std::string reply;
    ssize_t n = recv(h.fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    if (n > 0) reply.assign(buf, static_cast<size_t>(n));
    close(h.fd);
    std::string error = reply.empty() ? why : Judge(reply, h.ok);
    if (!error.empty()) LogLine(h.program, h.what + ": " + error);
  }

  std::mutex mu_;
  std::vector<Held> held_;  // oldest first
};

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
  Unanswered& unanswered = Unanswered::Get();
  unanswered.Collect(0);
  std::string reply;
  int held = -1;
  std::string error = Send(config.push_socket, request, &reply, &held);
  if (held >= 0) unanswered.Add(held, program, what, ok);
  if (error.empty()) error = Judge(reply, ok);
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

void FinishDoorbells() { Unanswered::Get().Finish(); }

void DeleteChannel(const Config& config, const char* program, const std::string& path) {
  // nchan answers 200 (deleted, its subscribers closed) or 404 (nobody had
  // subscribed to it, or it was deleted already).
  Exchange(config, program, "closing " + path, DeleteRequest(path), {"2", "404"});
}

}  // namespace chat
