// The doorbell's socket: one kept HTTP/1.1 connection to the publisher per
// thread, written to and never waited on. Each ring drains whatever replies
// have arrived since the last one (without sleeping), logs the refusals
// among them under the ring they answer, then writes its own request and
// returns. Before issue 17 each ring opened a connection of its own and
// waited 5 ms for its status line: nginx then accepted, closed (with a
// lingering close) and woke the worker for every post, ~40 µs of nginx's
// CPU per post of the ~140 a post cost it (README "Why a POST costs nginx
// more"). nginx has the request in its socket buffer once the write
// returned, so a ring is delivered without its reply being read; the reply
// is only for the log.
//
// But nginx never publishes a request whose client closed, or half-closed,
// before nginx read it: it sees the end of the connection with the request
// and drops it, as a 499 (README "Instant delivery (push)": with 10,000
// streams on a room an nginx worker spends hundreds of milliseconds
// delivering one post, and doorbells closed meanwhile were lost, a fifth of
// the posts in S7). So a connection with rings still unanswered is never
// closed by this end: when it is retired, or its thread ends, it goes to
// Retired (below), which keeps it open until nginx answered every ring on
// it or kAnswerWait passed, collected at each ring without waiting, and
// waited for by FinishDoorbells() (chatctl, before it exits).
//
// A kept connection is retired by this end before nginx would close it
// (conf/push-publisher.conf.in sets keepalive_requests, keepalive_timeout
// and keepalive_time above these bounds), so a ring is not written into a
// connection nginx is closing at that moment; one that finds it closed
// anyway (EPIPE: nginx restarted or reloaded) is written once more on a new
// connection. Every step on a caller's path is bounded by kWaitMs.
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
#include <memory>
#include <mutex>
#include <vector>

#include "log.h"

namespace chat {
namespace {

constexpr int kWaitMs = 5;  // the most a ring waits on the publisher, per step
// A kept connection's limits, below the publisher server's own
// (keepalive_requests 10000, keepalive_timeout 300s, keepalive_time 1h).
constexpr int kMaxRings = 1000;
constexpr std::chrono::seconds kMaxIdle{60};
constexpr std::chrono::minutes kMaxAge{10};
// Rings waiting for their reply on one connection: past this the
// connection is retired (kept open in Retired) and a new one opened.
constexpr size_t kMaxUnanswered = 1024;
// How long a retired connection is kept open for nginx to answer: a busy
// nginx worker answers within a second (S7 at 10,000 streams on a loaded
// machine); one that has not answered in this long is stuck or gone.
constexpr std::chrono::seconds kAnswerWait{10};
// Retired connections held per process (each one descriptor); past it the
// oldest is given up, and logged.
constexpr size_t kMaxRetired = 256;

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

// One connection to the publisher and the rings on it not answered yet.
class Connection {
 public:
  Connection() = default;
  ~Connection() { Close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool waiting() const { return fd_ >= 0 && !unanswered_.empty(); }
  size_t unanswered() const { return unanswered_.size(); }
  const std::string& path() const { return path_; }
  int rings() const { return rings_; }
  Clock::time_point opened() const { return opened_; }
  Clock::time_point used() const { return used_; }

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
    opened_ = Clock::now();
    return "";
  }

  // Writes the whole request; "" when it was handed over.
  std::string Write(const std::string& request, Unanswered ring) {
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
    unanswered_.push_back(std::move(ring));
    ++rings_;
    used_ = Clock::now();
    return "";
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
    if (!ReadReplies() || closed) GiveUp("closed without an answer");
  }

  // Rings still unanswered here were handed over; only their replies are
  // lost (callers that retire a working connection hand it to Retired).
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    in_.clear();
    unanswered_.clear();
    rings_ = 0;
  }

  // Logs the rings still unanswered as given up under `why`, then closes.
  void GiveUp(const std::string& why) {
    if (!unanswered_.empty()) {
      const Unanswered& first = unanswered_.front();
      LogLine(first.program,
              first.what +
                  (unanswered_.size() > 1
                       ? " and " + std::to_string(unanswered_.size() - 1) + " more rings"
                       : "") +
                  ": " + why);
    }
    Close();
  }

 private:
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
      for (const char* prefix : ring.ok) {
        fine = fine || status.compare(0, strlen(prefix), prefix) == 0;
      }
      if (!fine) LogLine(ring.program, ring.what + ": refused: " + head.substr(0, head.find('\r')));
      if (!keep) return false;
    }
  }

  int fd_ = -1;
  std::string path_;
  std::string in_;
  std::deque<Unanswered> unanswered_;
  int rings_ = 0;
  Clock::time_point opened_, used_;
};

// Connections retired with rings still unanswered, held open until nginx
// answered them all or kAnswerWait passed (see the top of this file). Each
// ring first collects what was answered meanwhile (a poll() with no wait),
// so no thread is needed. Never destroyed, so a static destructor may still
// ring.
class Retired {
 public:
  static Retired& Get() {
    static Retired* const kOne = new Retired;
    return *kOne;
  }

  void Add(std::unique_ptr<Connection> c) {
    std::lock_guard<std::mutex> lock(mu_);
    if (held_.size() >= kMaxRetired) {
      held_.front().c->GiveUp("no answer, given up (too many waiting)");
      held_.erase(held_.begin());
    }
    held_.push_back({std::move(c), Clock::now() + kAnswerWait});
  }

  // Reads what was answered, waiting up to `wait_ms` for something; closes
  // the connections answered in full or past their time.
  void Collect(int wait_ms) {
    std::lock_guard<std::mutex> lock(mu_);
    if (held_.empty()) return;
    std::vector<pollfd> fds;
    for (const Held& h : held_) fds.push_back({h.c->fd(), POLLIN, 0});
    poll(fds.data(), fds.size(), wait_ms);
    Clock::time_point now = Clock::now();
    std::vector<Held> still;
    for (size_t i = 0; i < held_.size(); ++i) {
      Connection& c = *held_[i].c;
      if (fds[i].revents != 0) c.Drain();
      if (!c.waiting()) continue;  // answered in full (or closed by nginx): closes
      if (now >= held_[i].deadline) {
        c.GiveUp("no answer in 10 s");
      } else {
        still.push_back(std::move(held_[i]));
      }
    }
    held_.swap(still);
  }

  // Waits until every held connection was answered, at most kAnswerWait.
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
  struct Held {
    std::unique_ptr<Connection> c;
    Clock::time_point deadline;
  };
  std::mutex mu_;
  std::vector<Held> held_;  // oldest first
};

// The kept connection of one thread (thread_local below).
class Publisher {
 public:
  Publisher() = default;
  // A thread that ends (the Coalescer's, streams.h's repeater) leaves its
  // unanswered rings to Retired.
  ~Publisher() { Retire(); }
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Writes `request` to the publisher at `path`; returns an error text, or
  // "" when it was handed over.
  std::string Ring(const std::string& path, const std::string& request, Unanswered ring) {
    Retired::Get().Collect(0);
    c_->Drain();
    Clock::time_point now = Clock::now();
    if (c_->open() &&
        (path != c_->path() || c_->rings() >= kMaxRings || now - c_->used() > kMaxIdle ||
         now - c_->opened() > kMaxAge || c_->unanswered() >= kMaxUnanswered)) {
      Retire();
    }
    for (;;) {
      bool fresh = !c_->open();
      if (fresh) {
        std::string error = c_->Connect(path);
        if (!error.empty()) return error;
      }
      std::string error = c_->Write(request, ring);
      if (error.empty()) return "";
      // A failed write may have left part of a request on the connection:
      // nginx reads the whole ones before it (kept open for that), never
      // this one.
      Retire();
      // A kept connection the publisher had closed: once more on a new one.
      if (fresh) return error;
    }
  }

  // Hands the connection to Retired if rings on it are unanswered, else
  // closes it.
  void Retire() {
    if (c_->waiting()) {
      Retired::Get().Add(std::move(c_));
      c_ = std::make_unique<Connection>();
    } else {
      c_->Close();
    }
  }

 private:
  std::unique_ptr<Connection> c_ = std::make_unique<Connection>();
};

// This thread's publisher, and whether it was destroyed already: at exit()
// a thread's thread_local objects go before the static ones, whose
// destructors may still ring (streams.cc's Repeater calls FinishDoorbells).
// The flag is trivially destructible, so it can still be read then.
thread_local bool t_publisher_gone = false;
struct ThreadPublisher {
  ~ThreadPublisher() { t_publisher_gone = true; }
  Publisher publisher;
};
thread_local ThreadPublisher t_publisher;

// Rings on this thread's kept connection; once that is gone (exit), on a
// connection for this ring alone, retired (kept open until answered) as it
// goes out of scope.
std::string RingHere(const std::string& path, const std::string& request, Unanswered ring) {
  if (!t_publisher_gone) return t_publisher.publisher.Ring(path, request, std::move(ring));
  Publisher once;
  return once.Ring(path, request, std::move(ring));
}

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
  std::string error = RingHere(config.push_socket, request, Unanswered{program, what, ok});
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

void FinishDoorbells() {
  if (!t_publisher_gone) t_publisher.publisher.Retire();
  Retired::Get().Finish();
}

void DeleteChannel(const Config& config, const char* program, const std::string& path) {
  // nchan answers 200 (deleted, its subscribers closed) or 404 (nobody had
  // subscribed to it, or it was deleted already).
  Exchange(config, program, "closing " + path, DeleteRequest(path), {"2", "404"});
}

}  // namespace chat
