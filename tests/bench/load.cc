// bench_load: the HTTP load generator of `make bench`. One thread, epoll,
// keep-alive HTTP/1.1 connections to 127.0.0.1, chunked replies decoded.
// It is ours (not wrk) because S5 needs an open loop: each virtual user sends
// on its own schedule, whether or not the server kept up, and a request's
// latency runs from when it was due, not from when it could be sent, so
// queueing is measured instead of hidden (coordinated omission).
//
//   bench_load closed PORT CONNS SECONDS REQFILE
//     CONNS connections, each sends its next request when the answer came.
//     REQFILE lines: "GET <path> <cookie>" or "POST <path> <cookie> <json>";
//     connection i uses lines i, i+CONNS, ... in turn. For POST bodies,
//     "%n" is replaced by a number unique in the run. A cookie "raw:<c>" is
//     sent as "Cookie: <c>" (a peer's own cookie, PEERS=1), and the method
//     "POSTFORM" is a POST of an application/x-www-form-urlencoded body.
//   bench_load open PORT USERSFILE LEVELS SECONDS
//     USERSFILE lines: "<room_id> <cursor> <cookie>". LEVELS is a comma list
//     of virtual-user counts; each level runs SECONDS with that many users
//     (the first N lines), each with its own connection, polling every 2 s
//     (random phase) and one in ten posting every 10 s.
//
// Prints one JSON object per run (closed) or per level (open) on stdout.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "util.h"

namespace {

using bench::NowUs;
using bench::ReadLines;
using bench::Samples;

enum Kind { kPoll, kPost, kFixed };

struct Pending {
  Kind kind;
  int64_t due_us;  // latency is measured from here
  std::string wire;
};

struct Conn {
  int fd = -1;
  bool connected = false;
  std::string out;
  size_t out_off = 0;
  std::string in;
  std::deque<Pending> queue;  // queue.front() is in flight when sending/awaiting
  bool busy = false;
  // open mode
  int64_t room = 0, cursor = 0;
  std::string cookie;
  // closed mode
  std::vector<std::string> lines;
  size_t next = 0;
};

struct Stats {
  Samples poll, post, seen;
  int64_t ok = 0, errors = 0, conn_errors = 0, messages_seen = 0;
  int64_t first_error_status = 0;
};

int g_port = 0;
int g_ep = -1;
int64_t g_serial = 0;
int64_t g_answered = 0;  // every answer of the run, warm-up included
Stats g_stats;
bool g_closed = false;

void OpenConn(Conn& c, uint32_t index) {
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(g_port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  c.connected = false;
  c.in.clear();
  c.out.clear();
  c.out_off = 0;
  c.busy = false;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  ev.data.u32 = index;
  epoll_ctl(g_ep, EPOLL_CTL_ADD, c.fd, &ev);
}

void CloseConn(Conn& c) {
  if (c.fd >= 0) close(c.fd);
  c.fd = -1;
}

std::string Wire(const std::string& method, const std::string& path, const std::string& cookie,
                 const std::string& body) {
  bool form = method == "POSTFORM";
  std::string w =
      (form ? std::string("POST") : method) + " " + path +
      " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(g_port) + "\r\nCookie: " +
      (cookie.compare(0, 4, "raw:") == 0 ? cookie.substr(4) : "chat_session=" + cookie) + "\r\n";
  if (method == "POST" || form) {
    w += std::string("Content-Type: ") +
         (form ? "application/x-www-form-urlencoded" : "application/json") +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  } else {
    w += "\r\n";
  }
  return w;
}

std::string PollWire(const Conn& c) {
  return Wire(
      "GET", "/api/rooms/" + std::to_string(c.room) + "/messages?after=" + std::to_string(c.cursor),
      c.cookie, "");
}

std::string PostWire(const Conn& c) {
  // The text carries the send time, so readers can measure post-to-seen.
  std::string serial = std::to_string(++g_serial);
  std::string body = "{\"text\":\"t=" + std::to_string(NowUs()) + " n=" + serial +
                     "\",\"client_id\":\"b" + std::to_string(getpid()) + "-" + serial + "\"}";
  return Wire("POST", "/api/rooms/" + std::to_string(c.room) + "/messages", c.cookie, body);
}

void SendNext(Conn& c) {
  if (c.busy || c.queue.empty() || !c.connected) return;
  Pending& p = c.queue.front();
  if (p.kind == kPoll) p.wire = PollWire(c);  // with the freshest cursor
  if (p.kind == kPost) p.wire = PostWire(c);
  c.out = p.wire;
  c.out_off = 0;
  c.busy = true;
  ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
  if (n > 0) c.out_off = static_cast<size_t>(n);
}

// Parses one complete reply at the front of c.in; returns false if incomplete.
bool ParseReply(Conn& c, int* status, std::string* body, bool* close_after) {
  size_t hend = c.in.find("\r\n\r\n");
  if (hend == std::string::npos) return false;
  if (c.in.compare(0, 9, "HTTP/1.1 ") != 0 && c.in.compare(0, 9, "HTTP/1.0 ") != 0) {
    *status = -1;
    *close_after = true;
    return true;
  }
  *status = atoi(c.in.c_str() + 9);
  std::string head = c.in.substr(0, hend + 2);
  for (char& ch : head) ch = static_cast<char>(tolower(ch));
  *close_after = head.find("\r\nconnection: close\r\n") != std::string::npos;
  size_t pos = hend + 4;
  body->clear();
  size_t cl = head.find("\r\ncontent-length:");
  if (cl != std::string::npos) {
    size_t len = strtoul(head.c_str() + cl + 17, nullptr, 10);
    if (c.in.size() < pos + len) return false;
    body->assign(c.in, pos, len);
    c.in.erase(0, pos + len);
    return true;
  }
  if (head.find("\r\ntransfer-encoding: chunked\r\n") == std::string::npos) {
    c.in.erase(0, pos);  // no body (204)
    return true;
  }
  for (;;) {
    size_t eol = c.in.find("\r\n", pos);
    if (eol == std::string::npos) return false;
    size_t len = strtoul(c.in.c_str() + pos, nullptr, 16);
    if (len == 0) {
      if (c.in.size() < eol + 4) return false;
      c.in.erase(0, eol + 4);
      return true;
    }
    if (c.in.size() < eol + 2 + len + 2) return false;
    body->append(c.in, eol + 2, len);
    pos = eol + 2 + len + 2;
  }
}

// Post-to-seen: every "t=<us>" in a poll's messages is a post's send time.
void NoteSeen(const std::string& body, int64_t now) {
  size_t p = 0;
  while ((p = body.find("\"text\":\"t=", p)) != std::string::npos) {
    p += 10;
    g_stats.seen.Add(now - strtoll(body.c_str() + p, nullptr, 10));
    ++g_stats.messages_seen;
  }
}

// Closed mode: the connection's next request line, "%n" made unique.
// Lines without "%n" are turned into requests once (the generator's own
// CPU is taken from the server it measures, on the same machine).
std::string NextFixed(Conn& c) {
  std::string& line = c.lines[c.next++ % c.lines.size()];
  if (line.find("%n") == std::string::npos && line.compare(0, 4, "GET ") == 0) {
    std::istringstream in(line);
    std::string method, path, cookie;
    in >> method >> path >> cookie;
    line = "=" + Wire(method, path, cookie, "");
  }
  if (line[0] == '=') return line.substr(1);
  std::istringstream in(line);
  std::string method, path, cookie, body;
  in >> method >> path >> cookie;
  std::getline(in >> std::ws, body);
  size_t n = body.find("%n");
  if (n != std::string::npos) body.replace(n, 2, std::to_string(++g_serial));
  return Wire(method, path, cookie, body);
}

void Complete(Conn& c, int status, const std::string& body) {
  Pending p = std::move(c.queue.front());
  c.queue.pop_front();
  c.busy = false;
  int64_t now = NowUs();
  bool good = status >= 200 && status < 300;
  ++g_answered;
  if (good) {
    ++g_stats.ok;
  } else {
    ++g_stats.errors;
    if (!g_stats.first_error_status) g_stats.first_error_status = status;
  }
  if (p.kind == kPost) {
    g_stats.post.Add(now - p.due_us);
  } else {
    g_stats.poll.Add(now - p.due_us);
  }
  if (p.kind == kPoll && good) {
    size_t k = body.rfind("\"cursor\":");
    if (k != std::string::npos) c.cursor = strtoll(body.c_str() + k + 9, nullptr, 10);
    NoteSeen(body, now);
  }
  if (g_closed) c.queue.push_back({kFixed, now, NextFixed(c)});
}

void OnEvent(std::vector<Conn>& conns, uint32_t index, uint32_t events) {
  Conn& c = conns[index];
  if (c.fd < 0) return;
  if (!c.connected && (events & EPOLLOUT)) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
      events |= EPOLLERR;
    } else {
      c.connected = true;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u32 = index;
      epoll_ctl(g_ep, EPOLL_CTL_MOD, c.fd, &ev);
      SendNext(c);
    }
  }
  bool dead = events & (EPOLLERR | EPOLLHUP);
  if (!dead && (events & (EPOLLIN | EPOLLRDHUP))) {
    char buf[65536];
    for (;;) {
      ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof buf) break;  // drained; saves a recv
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) dead = true;
      break;
    }
    int status;
    bool close_after;
    std::string body;
    while (c.busy && ParseReply(c, &status, &body, &close_after)) {
      Complete(c, status, body);
      if (close_after) {
        dead = true;
        break;
      }
      SendNext(c);
    }
  }
  if (c.busy && c.out_off < c.out.size() && !dead) {
    ssize_t n = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) c.out_off += static_cast<size_t>(n);
  }
  if (dead) {
    // The server closed (keepalive_requests reached, or an error): a request
    // in flight is an error; reconnect and go on with the queue.
    if (c.busy) {
      ++g_stats.conn_errors;
      c.queue.pop_front();
      if (g_closed) c.queue.push_back({kFixed, NowUs(), NextFixed(c)});
    }
    epoll_ctl(g_ep, EPOLL_CTL_DEL, c.fd, nullptr);
    CloseConn(c);
    OpenConn(c, index);
  }
}

void Poll(std::vector<Conn>& conns, int timeout_ms) {
  epoll_event evs[1024];
  int n = epoll_wait(g_ep, evs, 1024, timeout_ms);
  for (int i = 0; i < n; ++i) OnEvent(conns, evs[i].data.u32, evs[i].events);
}

void RaiseFdLimit(size_t want) { bench::RaiseFdLimit(want, "bench_load"); }

void PrintStats(const char* label, int64_t users, double seconds, double conns) {
  Stats& s = g_stats;
  printf(
      "{\"label\":\"%s\",\"users\":%lld,\"seconds\":%.2f,\"connections\":%.0f,\"ok\":%lld,"
      "\"errors\":%lld,\"first_error_status\":%lld,\"conn_errors\":%lld,\"rps\":%.1f,"
      "\"poll_p50_ms\":%.2f,\"poll_p99_ms\":%.2f,\"poll_max_ms\":%.2f,\"polls\":%zu,"
      "\"post_p50_ms\":%.2f,\"post_p99_ms\":%.2f,\"posts\":%zu,"
      "\"seen_p50_ms\":%.1f,\"seen_p99_ms\":%.1f,\"messages_seen\":%lld,\"answered\":%lld}\n",
      label, static_cast<long long>(users), seconds, conns, static_cast<long long>(s.ok),
      static_cast<long long>(s.errors), static_cast<long long>(s.first_error_status),
      static_cast<long long>(s.conn_errors), (s.ok + s.errors) / seconds, s.poll.Pct(50),
      s.poll.Pct(99), s.poll.Pct(100), s.poll.v.size(), s.post.Pct(50), s.post.Pct(99),
      s.post.v.size(), s.seen.Pct(50), s.seen.Pct(99), static_cast<long long>(s.messages_seen),
      static_cast<long long>(g_answered));
  fflush(stdout);
}

int Closed(int conns_n, double seconds, const char* reqfile) {
  g_closed = true;
  std::vector<std::string> lines = ReadLines(reqfile);
  if (lines.empty()) return 2;
  RaiseFdLimit(conns_n + 64);
  std::vector<Conn> conns(conns_n);
  for (int i = 0; i < conns_n; ++i) {
    for (size_t k = i % lines.size(); k < lines.size(); k += conns_n) {
      conns[i].lines.push_back(lines[k]);
    }
    if (conns[i].lines.empty()) conns[i].lines.push_back(lines[0]);
  }
  // One second of warm-up (not counted), then the measured window.
  for (int pass = 0; pass < 2; ++pass) {
    g_stats = Stats();
    int64_t start = NowUs(), end = start + static_cast<int64_t>((pass ? seconds : 1) * 1e6);
    if (pass == 0) {
      for (int i = 0; i < conns_n; ++i) {
        conns[i].queue.push_back({kFixed, start, NextFixed(conns[i])});
        OpenConn(conns[i], i);
      }
    }
    while (NowUs() < end) Poll(conns, 5);
    if (pass) PrintStats("closed", 0, (NowUs() - start) / 1e6, conns_n);
  }
  return 0;
}

struct Timer {
  int64_t at;
  uint32_t user;
  Kind kind;
  bool operator>(const Timer& o) const { return at > o.at; }
};

int Open(const char* usersfile, const std::string& levels_text, double seconds) {
  std::vector<std::string> lines = ReadLines(usersfile);
  std::vector<int> levels;
  for (std::stringstream ss(levels_text); ss.good();) {
    std::string item;
    std::getline(ss, item, ',');
    if (!item.empty()) levels.push_back(atoi(item.c_str()));
  }
  int most = std::min<int>(*std::max_element(levels.begin(), levels.end()), lines.size());
  RaiseFdLimit(most + 64);
  std::vector<Conn> conns(most);
  for (int i = 0; i < most; ++i) {
    std::istringstream in(lines[i]);
    in >> conns[i].room >> conns[i].cursor >> conns[i].cookie;
  }
  std::mt19937 rng(42);
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;
  int active = 0;
  for (int level : levels) {
    level = std::min(level, most);
    int64_t start = NowUs();
    // Users join over the first second of the level (an accept storm is
    // not what is measured); each starts at a random phase.
    for (int i = active; i < level; ++i) {
      int64_t t0 = start + (i - active) * 1000000LL / std::max(1, level - active);
      timers.push({t0 + static_cast<int64_t>(rng() % 2000000), static_cast<uint32_t>(i), kPoll});
      if (i % 10 == 0) {
        timers.push({t0 + static_cast<int64_t>(rng() % 10000000), static_cast<uint32_t>(i), kPost});
      }
    }
    int64_t measure_from = start + 3000000;  // joins and first polls settle
    int64_t end = start + static_cast<int64_t>(seconds * 1e6);
    bool counting = false;
    for (;;) {
      int64_t now = NowUs();
      if (!counting && now >= measure_from) {
        g_stats = Stats();
        counting = true;
      }
      if (now >= end) break;
      while (!timers.empty() && timers.top().at <= now) {
        Timer t = timers.top();
        timers.pop();
        Conn& c = conns[t.user];
        if (c.fd < 0) OpenConn(c, t.user);
        c.queue.push_back({t.kind, t.at, ""});
        SendNext(c);
        timers.push({t.at + (t.kind == kPost ? 10000000 : 2000000), t.user, t.kind});
      }
      int64_t next = timers.empty() ? end : std::min(end, timers.top().at);
      Poll(conns, static_cast<int>(std::max<int64_t>(0, (next - NowUs()) / 1000)));
    }
    active = level;
    PrintStats("open", level, (end - measure_from) / 1e6, level);
    // Past the first level that misses the mark, more users only hurt.
    if (g_stats.errors || g_stats.conn_errors || g_stats.poll.Pct(99) >= 100) break;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 6 && std::string(argv[1]) == "closed") {
    g_port = atoi(argv[2]);
    g_ep = epoll_create1(EPOLL_CLOEXEC);
    return Closed(atoi(argv[3]), atof(argv[4]), argv[5]);
  }
  if (argc == 6 && std::string(argv[1]) == "open") {
    g_port = atoi(argv[2]);
    g_ep = epoll_create1(EPOLL_CLOEXEC);
    return Open(argv[3], argv[4], atof(argv[5]));
  }
  fprintf(stderr,
          "usage: bench_load closed PORT CONNS SECONDS REQFILE\n"
          "       bench_load open PORT USERSFILE LEVELS SECONDS\n");
  return 2;
}
