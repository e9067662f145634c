// See fanout.h.
#include "fanout.h"

#include <atomic>
#include <chrono>
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

// Copies what is left (core/mentions.h FanOutMentions) and rings the people
// copied; `db` is opened when null and dropped after an error. When
// `if_any`, a read first: nothing to copy takes no write lock.
void CopyAndRing(const Config& config, const char* program, std::unique_ptr<Db>& db, bool if_any) {
  try {
    if (!db) {
      db = Db::Open(config);
      // A small page cache: this connection reads and writes only the
      // newest mentions and a few pages of the inbox (S6, memory).
      db->Exec("PRAGMA cache_size=-512");
    }
    if (if_any && !MentionsToCopy(*db)) return;
    std::vector<int64_t> people = FanOutMentions(*db);
    if (!people.empty()) RingPeople(config, program, people);
  } catch (const std::exception& e) {
    LogLine(program, std::string("mention fan-out failed, retried at the next post or within ") +
                         std::to_string(kFanOutSweepMs) + " ms: " + e.what());
    db.reset();
  }
}

}  // namespace

void MentionFanOut::Run(const Config& config) {
  g_running = this;
  std::unique_ptr<Db> db;
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
    CopyAndRing(config, program_, db, !woken);
    lock.lock();
  }
  g_running = nullptr;
  bool last = woken_;
  lock.unlock();
  if (last) CopyAndRing(config, program_, db, false);
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
  CopyAndRing(config, program, db, false);
}

}  // namespace chat
