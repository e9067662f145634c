// See fanout.h.
#include "fanout.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "attention.h"
#include "db.h"
#include "log.h"
#include "mentions.h"

namespace chat {
namespace {

std::atomic<MentionFanOut*> g_running{nullptr};  // the process's running fan-out, if any

// What a fan-out says about its failures: the first one at once, then, while
// they go on (a full disk, a broken file: every sweep fails the same way),
// a line at most every kFanOutLogEveryMs counting the ones in between, and
// one line when a copy works again. Before, a fault that lasted logged a
// line a second per post worker for as long as it lasted.
class FailureLog {
 public:
  explicit FailureLog(const char* program) : program_(program) {}

  void Failed(const std::string& what) {
    const auto now = std::chrono::steady_clock::now();
    ++failures_;
    if (failures_ > 1 && now < next_) {
      ++unsaid_;
      return;
    }
    std::string line = "mention fan-out failed, retried at the next post or within " +
                       std::to_string(kFanOutSweepMs) + " ms: " + what;
    if (unsaid_ > 0) line += " (and " + std::to_string(unsaid_) + " time(s) since the last line)";
    LogLine(program_, line);
    unsaid_ = 0;
    next_ = now + std::chrono::milliseconds(kFanOutLogEveryMs);
  }

  void Worked() {
    if (failures_ == 0) return;
    LogLine(program_, "mention fan-out works again, after " + std::to_string(failures_) +
                          " failed attempt(s)");
    failures_ = unsaid_ = 0;
  }

 private:
  const char* program_;
  int64_t failures_ = 0, unsaid_ = 0;
  std::chrono::steady_clock::time_point next_{};
};

// Copies what is left (core/mentions.h FanOutMentions) and rings the people
// copied; `db` is opened when null and dropped after an error. When
// `if_any`, a read first: nothing to copy takes no write lock.
void CopyAndRing(const Config& config, const char* program, std::unique_ptr<Db>& db, bool if_any,
                 FailureLog& log) {
  try {
    if (!db) {
      db = Db::Open(config);
      // A small page cache: this connection reads and writes only the
      // newest mentions and a few pages of the inbox (S6, memory).
      db->Exec("PRAGMA cache_size=-512");
    }
    std::vector<int64_t> people;
    if (!if_any || MentionsToCopy(*db)) people = FanOutMentions(*db);
    log.Worked();
    if (!people.empty()) RingPeople(config, program, people);
  } catch (const std::exception& e) {
    log.Failed(e.what());
    db.reset();
  }
}

}  // namespace

void MentionFanOut::Run(const Config& config) {
  g_running = this;
  std::unique_ptr<Db> db;
  FailureLog log(program_);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    bool woken = cv_.wait_for(lock, std::chrono::milliseconds(kFanOutSweepMs),
                              [this] { return woken_ || stopping_; });
    if (stopping_) break;
    if (woken) {
      // Gather: posts in the next few ms are copied with this one.
      cv_.wait_for(lock, std::chrono::milliseconds(kFanOutDelayMs), [this] { return stopping_; });
      woken_ = false;
    }
    lock.unlock();
    CopyAndRing(config, program_, db, !woken, log);
    lock.lock();
  }
  g_running = nullptr;
  bool last = woken_;
  lock.unlock();
  if (last) CopyAndRing(config, program_, db, false, log);
}

void MentionFanOut::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  cv_.notify_all();
}

void MentionFanOut::Wake(const Config& config, const char* program) {
  if (MentionFanOut* running = g_running.load()) {
    std::lock_guard<std::mutex> lock(running->mu_);
    running->woken_ = true;
    running->cv_.notify_all();
    return;
  }
  std::unique_ptr<Db> db;
  FailureLog log(program);
  CopyAndRing(config, program, db, false, log);
}

}  // namespace chat
