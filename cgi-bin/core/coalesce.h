// Coalescing a room's member-count events (issue 11, "Abuse limits").
//
// Each join or leave that changes who is in a room used to ring that room's
// doorbell with the new count, so one client joining and leaving 339 times a
// second made nginx send 339 events a second to every subscriber. A
// Coalescer lets the first change in a quiet room ring at once (a single
// join is still seen in milliseconds) and folds every further change within
// the window into one ring at the end of the window. The ring reads the
// count when it runs, not when the change happened, so the last count wins
// and the final one is never dropped: a change after a ring started is
// followed by a ring of its own.
//
// Rings at the end of a window run on a thread of the Coalescer's own,
// started at the first one; a ring that falls due while the process exits is
// rung by the destructor. Per process: each of a program's workers coalesces
// its own changes, so a room hears at most one members event per window from
// each rooms worker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace chat {

class Coalescer {
 public:
  using Ring = std::function<void(int64_t key)>;
  Coalescer(std::chrono::milliseconds window, Ring ring);
  // Rings whatever is still waiting, then stops the thread.
  ~Coalescer();
  Coalescer(const Coalescer&) = delete;
  Coalescer& operator=(const Coalescer&) = delete;

  // `key` changed (after the change committed): rings it now if it has not
  // rung within the window, else once at the window's end.
  void Changed(int64_t key);

 private:
  using Clock = std::chrono::steady_clock;
  void Run();

  const std::chrono::milliseconds window_;
  const Ring ring_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::map<int64_t, Clock::time_point> rang_;  // when each key last rang
  std::map<int64_t, Clock::time_point> due_;   // keys waiting for their window's end
  bool stopping_ = false;
  std::thread thread_;  // started by the first deferred ring
};

}  // namespace chat
