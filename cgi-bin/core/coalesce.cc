// The Coalescer's bookkeeping (coalesce.h): two maps under one mutex, and a
// thread that sleeps until the earliest window ends. Rings always run with
// the mutex released, so a slow ring never holds up a request.
#include "coalesce.h"

#include <utility>
#include <vector>

namespace chat {

Coalescer::Coalescer(std::chrono::milliseconds window, Ring ring)
    : window_(window), ring_(std::move(ring)) {}

Coalescer::~Coalescer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Nothing rings after this point: the thread rang what was due.
}

void Coalescer::Changed(int64_t key) {
  Clock::time_point now = Clock::now();
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (due_.count(key)) return;  // a ring is waiting: it will read this change too
    auto last = rang_.find(key);
    if (last != rang_.end() && now - last->second < window_) {
      due_[key] = last->second + window_;
      if (!thread_.joinable()) thread_ = std::thread(&Coalescer::Run, this);
      wake_.notify_all();
      return;
    }
    rang_[key] = now;
    // Forget rooms that have been quiet for a while, so the map stays small.
    for (auto it = rang_.begin(); it != rang_.end();) {
      it = now - it->second > 100 * window_ ? rang_.erase(it) : std::next(it);
    }
  }
  ring_(key);
}

void Coalescer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (due_.empty()) {
      if (stopping_) return;
      wake_.wait(lock);
      continue;
    }
    Clock::time_point next = Clock::time_point::max();
    for (const auto& [key, at] : due_) next = std::min(next, at);
    if (!stopping_ && Clock::now() < next) {
      wake_.wait_until(lock, next);
      continue;
    }
    // Ring every key whose window has ended (all of them when stopping).
    std::vector<int64_t> ready;
    Clock::time_point now = Clock::now();
    for (auto it = due_.begin(); it != due_.end();) {
      if (stopping_ || it->second <= now) {
        ready.push_back(it->first);
        rang_[it->first] = now;
        it = due_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    for (int64_t key : ready) ring_(key);
    lock.lock();
  }
}

}  // namespace chat
