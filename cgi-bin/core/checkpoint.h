// WAL checkpoints by one connection at a time. SQLite's automatic checkpoint
// lets whichever connection commits past 1000 WAL pages run one, so with
// several worker processes two checkpoints can start at nearly the same
// moment; SQLite before 3.51.3 (Debian 12 ships 3.40) has a race between two
// checkpointing connections and a writer resetting the WAL that can lose
// committed pages (sqlite.org/wal.html#walresetbug). So every connection
// turns the automatic checkpoint off and installs this hook instead: after a
// commit that leaves the WAL at `pages` frames or more, the process tries a
// non-blocking flock on `<db>-checkpoint.lock`; only the holder checkpoints,
// then lets go. A process that finds the lock taken skips: the holder is
// already doing the work, and the next commit tries again.
//
// The checkpoint is PASSIVE: it copies what no reader still needs, never
// waits for a lock and never calls the busy handler, so it cannot hold up a
// writer or make the request that triggered it fail (the hook always reports
// success; the commit has happened whatever the checkpoint did). A reader
// that outlives one checkpoint is caught by the next. Once the whole WAL is
// copied, the next writer starts it again from the beginning, and
// journal_size_limit (set by Db::Open) cuts the file back then.
#pragma once

#include <sqlite3.h>

#include <string>

namespace chat {

// The lock file next to the database.
std::string CheckpointLockPath(const std::string& db_path);

// What one Checkpointer::Run did.
enum class CheckpointOutcome {
  kDone,     // checkpointed (all of the WAL, or as much as readers allowed)
  kSkipped,  // another process holds the lock: it is checkpointing
  kFailed,   // SQLite refused (e.g. SQLITE_BUSY from a checkpoint not under our lock)
};

// Owns the hook of one connection and the lock file's descriptor. Installs
// itself in the constructor; must be destroyed before the connection closes.
// Copying is deleted (the hook holds `this`).
class Checkpointer {
 public:
  // pages <= 0: no hook at all (the WAL then grows until someone
  // checkpoints; only for tests that need that).
  Checkpointer(sqlite3* db, std::string lock_path, int pages);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Tries the lock and, when it gets it, runs a PASSIVE checkpoint.
  CheckpointOutcome Run();

 private:
  static int Hook(void* self, sqlite3* db, const char* schema, int pages);
  int LockFd();  // opened on first use; -1 when the file cannot be opened

  sqlite3* db_;
  std::string lock_path_;
  int pages_;
  int fd_ = -1;
  bool open_failed_ = false;
};

}  // namespace chat
