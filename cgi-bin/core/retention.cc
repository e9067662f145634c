// See retention.h.
#include "retention.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "blobs.h"
#include "clock.h"
#include "log.h"
#include "mentions.h"

namespace chat {

int DeleteMessagesOlderThan(Db& db, int64_t room_id, int64_t cutoff_ms, int limit) {
  std::vector<int64_t> ids;
  auto q = db.Prepare(
      "SELECT id FROM messages WHERE room_id = ?1 AND created_at < ?2 ORDER BY id LIMIT ?3");
  q.Bind(1, room_id).Bind(2, cutoff_ms).Bind(3, static_cast<int64_t>(limit));
  while (q.Step()) ids.push_back(q.Int(0));
  for (int64_t id : ids) {
    // Reactions and mentions cascade (ON DELETE CASCADE) with foreign_keys
    // on, as the programs and chatctl open the database; deleting them here
    // keeps that true for any connection, the way a person's delete does
    // (post.cpp). Each statement is one primary-key or index range, so a
    // batch of 500 is 1,500 short steps.
    db.Prepare("DELETE FROM reactions WHERE message_id = ?1").Bind(1, id).Run();
    ForgetMentions(db, id);
    // Its attachments: the rows here (their blobs queued in blob_trash by
    // the files_trash trigger); the bytes go once the caller committed and
    // called EmptyBlobTrash (core/blobs.h), as both callers of PruneBatch do.
    db.Prepare("DELETE FROM files WHERE message_id = ?1").Bind(1, id).Run();
    db.Prepare("DELETE FROM messages WHERE id = ?1").Bind(1, id).Run();
  }
  return static_cast<int>(ids.size());
}

std::vector<Pruned> PruneBatch(Db& db, int64_t now_ms, int limit) {
  struct Due {
    int64_t room_id, cutoff;
  };
  std::vector<Due> due;
  {
    // Read first, without the write lock (WAL readers never block writers):
    // most of the time nothing is old enough and no lock is taken at all.
    auto rooms = db.Prepare(
        "SELECT id, retention_days FROM rooms "
        "WHERE retention_days IS NOT NULL AND deleted_at IS NULL ORDER BY id");
    while (rooms.Step()) due.push_back({rooms.Int(0), now_ms - rooms.Int(1) * kDayMs});
  }
  std::vector<Due> work;
  for (const Due& d : due) {
    auto old = db.Prepare("SELECT 1 FROM messages WHERE room_id = ?1 AND created_at < ?2 LIMIT 1");
    if (old.Bind(1, d.room_id).Bind(2, d.cutoff).Step()) work.push_back(d);
  }
  std::vector<Pruned> done;
  if (work.empty()) return done;
  Transaction tx(db);
  int left = limit;
  for (const Due& d : work) {
    if (left <= 0) break;
    // The retention as it is now, inside the lock: an owner who just set
    // "forever" is obeyed.
    auto now = db.Prepare(
        "SELECT retention_days FROM rooms WHERE id = ?1 AND deleted_at IS NULL "
        "AND retention_days IS NOT NULL");
    if (!now.Bind(1, d.room_id).Step()) continue;
    const int64_t cutoff = now_ms - now.Int(0) * kDayMs;
    int n = DeleteMessagesOlderThan(db, d.room_id, cutoff, left);
    if (n > 0) done.push_back({d.room_id, n});
    left -= n;
  }
  tx.Commit();
  return done;
}

namespace {

// The lock file every process of one database shares for pruning: held
// (flock, non-blocking) while a process prunes, so one prunes at a time,
// and its mtime is when the last batch that emptied the backlog ended, so
// the server as a whole looks once an interval, not once per worker (a
// look at a big room with nothing old reads its index: ~80 ms of CPU for
// 500,000 messages here).
class PruneTurn {
 public:
  explicit PruneTurn(const Config& config) {
    fd_ = open((config.db_path + "-prune.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0 || flock(fd_, LOCK_EX | LOCK_NB) != 0) return;
    struct stat st {};
    if (fstat(fd_, &st) != 0) return;
    const auto age =
        std::chrono::system_clock::now() - std::chrono::system_clock::from_time_t(st.st_mtime);
    // A clock stepped back (age < 0) counts as due, never as "not yet".
    mine_ = age < std::chrono::seconds(0) || age >= std::chrono::seconds(config.prune_interval_s);
  }
  ~PruneTurn() {
    if (fd_ >= 0) close(fd_);  // closing drops the flock
  }
  PruneTurn(const PruneTurn&) = delete;
  PruneTurn& operator=(const PruneTurn&) = delete;

  bool mine() const { return mine_; }
  // The backlog is done: the next look is an interval from now.
  void Done() { futimens(fd_, nullptr); }

 private:
  int fd_ = -1;
  bool mine_ = false;
};

}  // namespace

void MaybePruneBetweenRequests(const char* program, const Config& config, Db& db) {
  using Clock = std::chrono::steady_clock;
  static Clock::time_point next = Clock::now();  // the first request of a process may prune
  if (config.prune_interval_s <= 0 || Clock::now() < next) return;
  next = Clock::now() + std::chrono::seconds(config.prune_interval_s);
  try {
    PruneTurn turn(config);
    if (!turn.mine()) return;
    int total = 0;
    for (const Pruned& p : PruneBatch(db, NowMs(), config.prune_batch)) {
      total += p.count;
      LogLine(program, "retention: deleted " + std::to_string(p.count) + " message(s) of room " +
                           std::to_string(p.room_id));
    }
    if (total > 0) EmptyBlobTrash(config, db);  // the pruned messages' files
    if (total >= config.prune_batch) {
      // A full batch: more may be waiting; this process's next request (or
      // any other process's) takes the next batch.
      next = Clock::now();
    } else {
      turn.Done();
    }
  } catch (const std::exception& e) {
    LogLine(program, std::string("retention: batch failed, tried again later: ") + e.what());
  }
}

}  // namespace chat
