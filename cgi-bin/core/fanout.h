// The post program's mention fan-out (issue 14, S11): the thread that
// copies new mentions from `mentions` (by message, written by the post) into
// `mention_inbox` (by person) shortly after the post, many posts at once,
// and then rings the people they name (core/mentions.h says why and how
// readers never wait for it).
#pragma once

#include <condition_variable>
#include <mutex>

#include "config.h"
#include "http.h"

namespace chat {

// How long a woken fan-out waits for more posts before it copies: what one
// copy gathers. A mention reaches its person's attention version and
// stream this much after the post (a page polls every 2 s).
constexpr int kFanOutDelayMs = 50;
// How often a fan-out that nobody woke looks for mentions left uncopied
// (by a process that died between its commit and its fan-out, or posted
// through CGI): one read of mention_fanout and of mentions' key.
constexpr int kFanOutSweepMs = 1000;
// A fan-out that keeps failing logs the first failure, then at most one
// line this often (with the count in between), and one when it works again.
constexpr int kFanOutLogEveryMs = 60000;

// One per post worker (Serve's Background: a thread of its own, stopped and
// joined when the worker stops, after a last copy of anything woken for).
// Its own SQLite connection, opened on first use and again after an error;
// an error is retried at the next wake or sweep (logged at once, then at
// most every kFanOutLogEveryMs while errors go on), and never reaches a
// request: the mentions are stored and readable meanwhile.
class MentionFanOut : public Background {
 public:
  explicit MentionFanOut(const char* program) : program_(program) {}
  void Run(const Config& config) override;
  void Stop() override;

  // After the commit of a post or edit that stored mentions: wakes this
  // process's fan-out. Where none runs (a CGI request), copies them and
  // rings their people now, on a connection of its own. Never throws.
  static void Wake(const Config& config, const char* program);

 private:
  const char* program_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
};

}  // namespace chat
