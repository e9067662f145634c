// bench_subscribe: the subscriber side of `make bench`'s S7 (push latency).
// One thread, epoll, raw sockets to 127.0.0.1: it holds N EventSource
// streams on a room (GET /api/rooms/{id}/events, each authorised by the
// workers as a browser's would be), then posts POSTS messages INTERVAL_MS
// apart through one more keep-alive connection and records, for every
// (subscriber, post) pair, the delay from sending the post to that subscriber
// reading the post's event; after the last post it reads until every open
// stream has every post's event, or 5 s pass without one (120 s at most),
// and counts per stream and per post what came, so that a post no stream
// heard (a lost doorbell) is told apart from late delivery or streams that
// closed (their last bytes are printed on stderr). In C++ rather than Node so that the generator
// costs the shared cores as little as possible: it reads 10,000 sockets per
// post on the same machine as nginx.
//
//   bench_subscribe PORT USERSFILE N POSTS INTERVAL_MS
//
// USERSFILE lines: "<room_id> <cursor> <cookie>" (bench_seed's users.txt).
// The first line's user posts in its room; the first N lines of that room
// subscribe (the poster among them). Prints one JSON line when every stream
// is answered ({"phase":"subscribed",...}), then waits for a line (or end of
// file) on stdin, so the caller can measure the server's memory with the
// streams held; then posts and prints the result line ({"phase":"done",...}).
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util.h"

namespace {

using bench::NowUs;

constexpr int kMaxHandshakes = 256;  // streams being authorised at once
// After the last post: stop reading when no event came for this long, or
// this long after the last post at most.
constexpr int64_t kQuietUs = 5000000;
constexpr int64_t kMostUs = 120000000;

struct Stream {
  int fd = -1;
  std::string cookie;
  std::string in;
  std::string tail;       // the last bytes read, for the report of a close
  int64_t closed_us = 0;  // when the stream closed after it was open
  enum { kIdle, kConnecting, kWaitingHead, kOpen, kRefused, kClosed } state = kIdle;
};

// One event read: the message it names, when, on which stream.
struct Seen {
  int64_t id;
  int64_t at;
  uint32_t stream;
};

// The poster: one keep-alive connection, one POST in flight at a time.
struct Poster {
  int fd = -1;
  std::string in;
  bool busy = false;
  int64_t sent_us = 0;
};

int g_port = 0;
int g_ep = -1;
int64_t g_room = 0;

int Connect(uint32_t tag) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(g_port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
  ev.data.u32 = tag;
  epoll_ctl(g_ep, EPOLL_CTL_ADD, fd, &ev);
  return fd;
}

void WatchReadsOnly(int fd, uint32_t tag) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u32 = tag;
  epoll_ctl(g_ep, EPOLL_CTL_MOD, fd, &ev);
}

void SendAll(int fd, const std::string& data) {
  // Requests are a few hundred bytes into an empty socket buffer.
  if (send(fd, data.data(), data.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(data.size())) {
    fprintf(stderr, "bench_subscribe: short send\n");
  }
}

// Appends what the socket has to `in`; false when the peer closed or failed.
bool Drain(int fd, std::string* in) {
  char buf[16384];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      in->append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) return true;
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

// Every `"id":N` in the complete lines of a stream's input is an event for
// message N (nchan's own "id: ..." lines have no quotes); what follows the
// last newline waits for the next read.
void ScanEvents(std::string* in, uint32_t stream, int64_t now, std::vector<Seen>* seen) {
  size_t end = in->rfind('\n');
  if (end == std::string::npos) return;
  for (size_t p = 0; (p = in->find("\"id\":", p)) != std::string::npos && p < end; p += 5) {
    seen->push_back({strtoll(in->c_str() + p + 5, nullptr, 10), now, stream});
  }
  in->erase(0, end + 1);
}

std::string EventsRequest(const std::string& cookie) {
  return "GET /api/rooms/" + std::to_string(g_room) +
         "/events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(g_port) +
         "\r\nAccept: text/event-stream\r\nCookie: chat_session=" + cookie + "\r\n\r\n";
}

std::string PostRequest(const std::string& cookie, int serial) {
  std::string body = "{\"text\":\"s7 post " + std::to_string(serial) + "\",\"client_id\":\"s7-" +
                     std::to_string(getpid()) + "-" + std::to_string(serial) + "\"}";
  return "POST /api/rooms/" + std::to_string(g_room) +
         "/messages HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(g_port) +
         "\r\nCookie: chat_session=" + cookie +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// Handles readiness on stream `s`. Returns true when its handshake ended
// (answered 200, refused, or failed).
bool OnStream(Stream& s, uint32_t tag, uint32_t events, int64_t now, std::vector<Seen>* seen) {
  if (s.state == Stream::kConnecting && (events & EPOLLOUT) && !(events & EPOLLERR)) {
    WatchReadsOnly(s.fd, tag);
    SendAll(s.fd, EventsRequest(s.cookie));
    s.state = Stream::kWaitingHead;
  }
  bool alive = !(events & (EPOLLERR | EPOLLHUP));
  if (alive && (events & (EPOLLIN | EPOLLRDHUP))) {
    size_t before = s.in.size();
    alive = Drain(s.fd, &s.in);
    if (s.in.size() > before) {
      s.tail += s.in.substr(before);
      if (s.tail.size() > 160) s.tail.erase(0, s.tail.size() - 160);
    }
  }
  bool handshake_ended = false;
  if (s.state == Stream::kWaitingHead) {
    size_t head = s.in.find("\r\n\r\n");
    if (head != std::string::npos) {
      handshake_ended = true;
      if (s.in.compare(0, 12, "HTTP/1.1 200") == 0) {
        s.state = Stream::kOpen;
        s.in.erase(0, head + 4);
      } else {
        s.state = Stream::kRefused;
        alive = false;
      }
    }
  }
  if (s.state == Stream::kOpen) ScanEvents(&s.in, tag, now, seen);
  if (!alive) {
    if (s.state == Stream::kConnecting || s.state == Stream::kWaitingHead) handshake_ended = true;
    if (s.state == Stream::kOpen) s.closed_us = now;
    if (s.state != Stream::kRefused) s.state = Stream::kClosed;
    epoll_ctl(g_ep, EPOLL_CTL_DEL, s.fd, nullptr);
    close(s.fd);
    s.fd = -1;
  }
  return handshake_ended;
}

// The poster's reply: on a complete one, its status and the new message's id
// (the first "id" of {"message":{"id":N,...}}). False while incomplete.
bool PostReply(Poster& p, int* status, int64_t* id) {
  size_t head = p.in.find("\r\n\r\n");
  if (head == std::string::npos) return false;
  std::string lower = p.in.substr(0, head + 2);
  for (char& c : lower) c = static_cast<char>(tolower(c));
  size_t cl = lower.find("\r\ncontent-length:");
  size_t len = cl == std::string::npos ? 0 : strtoul(lower.c_str() + cl + 17, nullptr, 10);
  if (p.in.size() < head + 4 + len) return false;
  *status = atoi(p.in.c_str() + 9);
  std::string body = p.in.substr(head + 4, len);
  size_t k = body.find("\"id\":");
  *id = k == std::string::npos ? 0 : strtoll(body.c_str() + k + 5, nullptr, 10);
  p.in.erase(0, head + 4 + len);
  return true;
}

// CPU time (user + system) this process has used, in microseconds.
int64_t CpuUs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000LL + u.ru_utime.tv_usec +
         u.ru_stime.tv_usec;
}

int Run(const char* usersfile, int n, int posts, int interval_ms) {
  std::vector<std::string> lines = bench::ReadLines(usersfile);
  if (lines.empty()) return 2;
  std::vector<Stream> streams;
  std::string poster_cookie;
  for (const std::string& line : lines) {
    std::istringstream in(line);
    int64_t room = 0, cursor = 0;
    std::string cookie;
    in >> room >> cursor >> cookie;
    if (poster_cookie.empty()) {
      g_room = room;
      poster_cookie = cookie;
    }
    if (room == g_room && static_cast<int>(streams.size()) < n) {
      streams.emplace_back();
      streams.back().cookie = cookie;
    }
  }
  n = static_cast<int>(streams.size());
  bench::RaiseFdLimit(n + 64, "bench_subscribe");
  const uint32_t kPosterTag = static_cast<uint32_t>(n);
  std::vector<Seen> seen;
  epoll_event evs[1024];

  // Subscribe, at most kMaxHandshakes being authorised at once.
  int64_t start = NowUs();
  int next = 0, in_flight = 0, done = 0;
  while (done < n) {
    while (next < n && in_flight < kMaxHandshakes) {
      Stream& s = streams[next];
      s.fd = Connect(static_cast<uint32_t>(next));
      s.state = s.fd < 0 ? Stream::kClosed : Stream::kConnecting;
      ++(s.fd < 0 ? done : in_flight);
      ++next;
    }
    int k = epoll_wait(g_ep, evs, 1024, 1000);
    int64_t now = NowUs();
    for (int i = 0; i < k; ++i) {
      Stream& s = streams[evs[i].data.u32];
      if (s.fd >= 0 && OnStream(s, evs[i].data.u32, evs[i].events, now, &seen)) {
        --in_flight;
        ++done;
      }
    }
  }
  int open = 0, refused = 0;
  for (const Stream& s : streams) {
    open += s.state == Stream::kOpen;
    refused += s.state == Stream::kRefused;
  }
  printf(
      "{\"phase\":\"subscribed\",\"subscribers\":%d,\"refused\":%d,\"failed\":%d,"
      "\"seconds\":%.2f}\n",
      open, refused, n - open - refused, (NowUs() - start) / 1e6);
  fflush(stdout);
  std::string go;
  std::getline(std::cin, go);

  // Let nchan finish subscribing: the answer's headers come from nginx as
  // soon as the worker's X-Accel-Redirect reaches it, but nchan adds the
  // subscriber to its channel a moment later, and on a loaded machine a ring
  // in between is not delivered to it (the pages catch up with a poll when a
  // stream opens for the same reason). 300 ms of reading the streams first.
  for (int64_t until = NowUs() + 300000; NowUs() < until;) {
    int k = epoll_wait(g_ep, evs, 1024, 5);
    for (int i = 0; i < k; ++i) {
      uint32_t tag = evs[i].data.u32;
      if (streams[tag].fd >= 0) OnStream(streams[tag], tag, evs[i].events, NowUs(), &seen);
    }
  }

  // Post, reading the streams all along. Events seen before the first post
  // (nchan hands a new subscriber the channel's newest message) do not count.
  seen.clear();
  const int64_t cpu_before = CpuUs();
  Poster poster;
  poster.fd = Connect(kPosterTag);
  std::unordered_map<int64_t, int64_t> sent;  // message id -> when its POST was sent
  bench::Samples post_ms;
  int sent_count = 0, post_errors = 0;
  int64_t next_post = NowUs(), last_post = 0, last_event = NowUs();
  bool poster_ready = false;
  for (;;) {
    int64_t now = NowUs();
    if (poster_ready && !poster.busy && sent_count < posts && now >= next_post) {
      SendAll(poster.fd, PostRequest(poster_cookie, sent_count));
      poster.busy = true;
      poster.sent_us = last_post = now;
      next_post = now + interval_ms * 1000LL;
      ++sent_count;
    }
    if (sent_count == posts && !poster.busy) {
      // Every post answered: read until every open stream has every event,
      // or none came for kQuietUs (a loaded machine delivers a post to
      // 10,000 streams seconds late; cutting off earlier counted late
      // events as missing), or kMostUs passed since the last post.
      int open_now = 0;
      for (const Stream& s : streams) open_now += s.state == Stream::kOpen;
      if (static_cast<int64_t>(seen.size()) >= int64_t{open_now} * posts ||
          now - last_event > kQuietUs || now - last_post > kMostUs) {
        break;
      }
    }
    int k = epoll_wait(g_ep, evs, 1024, 5);
    now = NowUs();
    size_t seen_before = seen.size();
    for (int i = 0; i < k; ++i) {
      uint32_t tag = evs[i].data.u32;
      if (tag != kPosterTag) {
        if (streams[tag].fd >= 0) OnStream(streams[tag], tag, evs[i].events, now, &seen);
        continue;
      }
      if (!poster_ready && (evs[i].events & EPOLLOUT)) {
        WatchReadsOnly(poster.fd, kPosterTag);
        poster_ready = true;
      }
      if ((evs[i].events & (EPOLLERR | EPOLLHUP)) || !Drain(poster.fd, &poster.in)) {
        fprintf(stderr, "bench_subscribe: the poster's connection closed\n");
        return 1;
      }
      int status = 0;
      int64_t id = 0;
      while (poster.busy && PostReply(poster, &status, &id)) {
        poster.busy = false;
        post_ms.Add(now - poster.sent_us);
        if (status == 201 && id > 0) {
          sent[id] = poster.sent_us;
        } else {
          ++post_errors;
        }
      }
    }
    if (seen.size() != seen_before) last_event = now;
  }
  const int64_t waited_us = NowUs() - last_post;

  // Every (stream, post) event that arrived, and which did not: per stream
  // and per post, so that a post nobody heard (a lost doorbell) is told
  // apart from streams that stopped hearing (closed, or never subscribed).
  bench::Samples delay;
  int64_t events = 0;
  std::vector<int> per_stream(streams.size(), 0);
  std::unordered_map<int64_t, int> per_post;
  for (const Seen& e : seen) {
    auto it = sent.find(e.id);
    if (it == sent.end()) continue;
    delay.Add(e.at - it->second);
    ++events;
    ++per_stream[e.stream];
    ++per_post[e.id];
  }
  int still_open = 0, closed = 0, streams_short = 0, posts_unheard = 0, posts_short = 0;
  for (size_t i = 0; i < streams.size(); ++i) {
    const Stream& s = streams[i];
    still_open += s.state == Stream::kOpen;
    if (s.closed_us) {
      // What the stream read last says why it ended (nchan writes a
      // comment line such as ":410 Gone" before it closes one).
      if (++closed <= 5) {
        std::string tail = s.tail;
        for (char& c : tail) c = c == '\n' || c == '\r' ? '|' : c;
        fprintf(
            stderr,
            "bench_subscribe: stream %zu closed %.0f ms after the last post; it read last: %s\n", i,
            (s.closed_us - last_post) / 1e3, tail.c_str());
      }
    }
    if ((s.state == Stream::kOpen || s.closed_us) &&
        per_stream[i] < static_cast<int>(sent.size())) {
      ++streams_short;
    }
  }
  for (const auto& [id, at] : sent) {
    posts_unheard += per_post[id] == 0;
    posts_short += per_post[id] < open;
  }
  printf(
      "{\"phase\":\"done\",\"subscribers\":%d,\"still_open\":%d,\"closed\":%d,\"posts\":%zu,"
      "\"post_errors\":%d,\"events\":%lld,\"expected\":%lld,\"streams_short\":%d,"
      "\"posts_short\":%d,\"posts_unheard\":%d,\"waited_ms\":%.0f,\"p50_ms\":%.1f,"
      "\"p99_ms\":%.1f,\"max_ms\":%.1f,\"post_p50_ms\":%.1f,\"post_p99_ms\":%.1f,"
      "\"cpu_ms\":%.1f}\n",
      open, still_open, closed, sent.size(), post_errors, static_cast<long long>(events),
      static_cast<long long>(open) * static_cast<long long>(sent.size()), streams_short,
      posts_short, posts_unheard, waited_us / 1e3, delay.Pct(50), delay.Pct(99), delay.Pct(100),
      post_ms.Pct(50), post_ms.Pct(99), (CpuUs() - cpu_before) / 1e3);
  fflush(stdout);
  for (Stream& s : streams) {
    if (s.fd >= 0) close(s.fd);
  }
  close(poster.fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: bench_subscribe PORT USERSFILE N POSTS INTERVAL_MS\n");
    return 2;
  }
  g_port = atoi(argv[1]);
  g_ep = epoll_create1(EPOLL_CLOEXEC);
  return Run(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
}
