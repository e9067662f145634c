// The doorbell's socket: one kept HTTP/1.1 connection to the publisher per
// thread, written to and never waited on. Each ring drains whatever replies
// have arrived since the last one (without sleeping), logs the refusals
// among them under the ring they answer, then writes its own request and
// returns. Before issue 17 each ring opened a connection of its own and
// waited for its status line: nginx then accepted, closed (with a lingering
// close) and woke the worker for every post, about 45 µs of nginx's CPU per
// post of the ~125 a post cost it (README "Why a POST costs nginx more").
// nginx has the request in its socket buffer once the write returned, so a
// ring is delivered without its reply being read; the reply is only for the
// log.
//
// A kept connection is retired by this end before nginx would close it
// (conf/push-publisher.conf.in sets keepalive_requests, keepalive_timeout
// and keepalive_time above these bounds), after its last replies came, so
// a ring is not written into a connection nginx is closing at that moment
// nor cut off before nchan acted on it; one that finds it closed
// anyway (EPIPE: nginx restarted or reloaded) is written once more on a new
// connection. Every step that could wait is bounded by kWaitMs.
#include "doorbell.h"

#include <fcntl.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <initializer_list>

#include "log.h"

namespace chat {
namespace {

constexpr int kWaitMs = 5;  // the most a ring waits on the publisher, per step
// A kept connection's limits, below the publisher server's own
// (keepalive_requests 10000, keepalive_timeout 300s, keepalive_time 1h).
constexpr int kMaxRings = 1000;
constexpr std::chrono::seconds kMaxIdle{60};
constexpr std::chrono::minutes kMaxAge{10};
// Rings whose reply has not come: past this the publisher is not answering,
// and the connection is given up (and logged).
constexpr size_t kMaxUnanswered = 64;

using Clock = std::chrono::steady_clock;

bool WaitFor(int fd, short events) {
  pollfd p{fd, events, 0};
  return poll(&p, 1, kWaitMs) == 1 && (p.revents & events) != 0;
}

// A ring written and not answered yet: what to log if its reply refuses.
struct Unanswered {
  const char* program;
  std::string what;
  std::vector<const char*> ok;  // status prefixes that are success ("2", "404")
};

// The kept connection of one thread (thread_local below).
class Publisher {
 public:
  Publisher() = default;
  // A process that rings and then ends (chatctl, a worker stopping) waits
  // briefly for its last replies: nchan may drop a request whose
  // connection is gone before it answered (a DELETE answered through
  // another nginx worker was lost that way).
  ~Publisher() {
    Settle();
    Close();
  }
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Writes `request` to the publisher at `path`; returns an error text, or
  // "" when it was handed over.
  std::string Ring(const std::string& path, const std::string& request, Unanswered ring) {
    Drain();
    Clock::time_point now = Clock::now();
    if (fd_ >= 0 && (path != path_ || rings_ >= kMaxRings || now - used_ > kMaxIdle ||
                     now - opened_ > kMaxAge)) {
      Settle();
      Close();
    }
    if (fd_ >= 0 && unanswered_.size() >= kMaxUnanswered) {
      LogLine(ring.program, "the push publisher answered none of the last " +
                                std::to_string(unanswered_.size()) + " rings; reconnecting");
      Close();
    }
    for (;;) {
      bool fresh = fd_ < 0;
      if (fresh) {
        std::string error = Connect(path);
        if (!error.empty()) return error;
        opened_ = now;
      }
      std::string error = Write(request);
      if (error.empty()) {
        unanswered_.push_back(std::move(ring));
        ++rings_;
        used_ = now;
        return "";
      }
      Close();
      // A kept connection the publisher had closed: once more on a new one.
      if (fresh) return error;
    }
  }

 private:
  std::string Connect(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof(addr.sun_path)) return "socket path too long";
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::string("socket: ") + strerror(errno);
    fd_ = fd;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      std::string error;
      if (errno != EAGAIN && errno != EINPROGRESS) {
        error = std::string("connect: ") + strerror(errno);
      } else if (!WaitFor(fd, POLLOUT)) {
        error = "connect: timed out";
      }
      if (!error.empty()) {
        Close();
        return error;
      }
    }
    path_ = path;
    return "";
  }

  std::string Write(const std::string& request) {
    size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN && WaitFor(fd_, POLLOUT)) {
        continue;
      } else {
        return std::string("send: ") + (n < 0 ? strerror(errno) : "closed");
      }
    }
    return "";
  }

  // Waits (each step at most kWaitMs) for the replies still due.
  void Settle() {
    while (fd_ >= 0 && !unanswered_.empty() && WaitFor(fd_, POLLIN)) Drain();
  }

  // Reads the replies that have arrived, without waiting; closes the
  // connection when the publisher closed it or said it would.
  void Drain() {
    if (fd_ < 0) return;
    char buf[4096];
    bool closed = false;
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        closed = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        break;
      }
    }
    if (!ReadReplies() || closed) Close();
  }

  // Takes each whole reply off in_ and logs it if it refused its ring.
  // False when the connection is done (Connection: close, or a reply that
  // answers nothing this end sent).
  bool ReadReplies() {
    for (;;) {
      size_t end = in_.find("\r\n\r\n");
      if (end == std::string::npos) return true;
      std::string head = in_.substr(0, end + 2);
      size_t length = 0;
      bool keep = true;
      for (size_t at = head.find("\r\n"); at != std::string::npos && at + 2 < head.size();
           at = head.find("\r\n", at + 2)) {
        const char* line = head.c_str() + at + 2;
        if (strncasecmp(line, "Content-Length:", 15) == 0) length = strtoul(line + 15, nullptr, 10);
        if (strncasecmp(line, "Connection: close", 17) == 0) keep = false;
      }
      if (in_.size() < end + 4 + length) return true;
      in_.erase(0, end + 4 + length);
      if (unanswered_.empty()) return false;
      Unanswered ring = std::move(unanswered_.front());
      unanswered_.pop_front();
      std::string status = head.size() >= 12 ? head.substr(9, 3) : "";  // "HTTP/1.x NNN"
      bool fine = false;
      for (const char* prefix : ring.ok)
        fine = fine || status.compare(0, strlen(prefix), prefix) == 0;
      if (!fine) LogLine(ring.program, ring.what + ": refused: " + head.substr(0, head.find('\r')));
      if (!keep) return false;
    }
  }

  // Rings still unanswered here were handed over; only their replies are
  // lost (callers that retire a working connection Settle() first).
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    in_.clear();
    unanswered_.clear();
    rings_ = 0;
  }

  int fd_ = -1;
  std::string path_;
  std::string in_;
  std::deque<Unanswered> unanswered_;
  int rings_ = 0;
  Clock::time_point opened_, used_;
};

thread_local Publisher t_publisher;

}  // namespace

std::string DoorbellRequest(int64_t room_id, const std::string& event) {
  return "POST /rooms/" + std::to_string(room_id) +
         " HTTP/1.1\r\nHost: chat-push\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(event.size()) + "\r\n\r\n" + event;
}

std::string PeopleRequest(const std::vector<int64_t>& users) {
  static const std::string kEvent = "{\"type\":\"attention\"}";
  std::string to;
  for (int64_t u : users) to += (to.empty() ? "person_" : ",person_") + std::to_string(u);
  return "POST /people?to=" + to +
         " HTTP/1.1\r\nHost: chat-push\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(kEvent.size()) + "\r\n\r\n" + kEvent;
}

std::string DeleteRequest(const std::string& path) {
  return "DELETE " + path + " HTTP/1.1\r\nHost: chat-push\r\nContent-Length: 0\r\n\r\n";
}

namespace {

// Rings `request` on this thread's kept connection; a failure to hand it
// over is logged under `what` now, a refusal when its reply is read (a
// status not starting with one of `ok`, e.g. "2", "404").
void Exchange(const Config& config, const char* program, const std::string& what,
              const std::string& request, std::initializer_list<const char*> ok) {
  if (config.push_socket.empty()) return;
  std::string error = t_publisher.Ring(config.push_socket, request, Unanswered{program, what, ok});
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
