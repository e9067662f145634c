// WAL checkpoints by one connection at a time, with no writer running. SQLite
// before 3.51.3 (Debian 12 ships 3.40) has a race that can lose committed
// pages (sqlite.org/wal.html#walresetbug): a checkpoint completes, a second
// one starts shortly after, and while it starts another connection commits a
// transaction that starts the WAL over. SQLite's automatic checkpoint lets
// whichever connection commits past 1000 WAL pages run one, so with several
// worker processes that can happen. So every connection turns the automatic
// checkpoint off and installs this hook instead: after a commit that leaves
// the WAL at `pages` frames or more, the process tries a non-blocking flock
// on `<db>-checkpoint.lock` (only the holder goes on: one checkpointer at a
// time, and the others do not queue behind it), then takes the database's
// write lock on a second connection of its own (BEGIN IMMEDIATE, waiting at
// most kGuardWaitMs), so no writer can start the WAL over while the
// checkpoint runs, runs it, and lets go of both.
//
// The checkpoint is PASSIVE: it copies what no reader still needs and never
// waits itself. It cannot fail the request that triggered it (the hook
// always reports success; the commit has happened whatever the checkpoint
// did): at worst that request's reply waits for the write lock, and other
// writers wait for the copy, as they would for any writer. A reader that
// outlives one checkpoint is caught by the next. Once the whole WAL is
// copied, the next writer starts it again from the beginning, and
// journal_size_limit (set by Db::Open) cuts the file back then.
#pragma once

#include <sqlite3.h>

#include <string>

namespace chat {

// How long the checkpointer waits for the write lock before leaving the
// checkpoint to a later commit.
constexpr int kGuardWaitMs = 1000;

// The lock file next to the database.
std::string CheckpointLockPath(const std::string& db_path);

// What one Checkpointer::Run did.
enum class CheckpointOutcome {
  kDone,     // checkpointed (all of the WAL, or as much as readers allowed)
  kSkipped,  // another process holds the lock file (it is checkpointing), or
             // writers kept the write lock for kGuardWaitMs
  kFailed,   // SQLite refused (e.g. SQLITE_BUSY from a checkpoint not under our lock)
};

// Owns the hook of one connection and the lock file's descriptor. Installs
// itself in the constructor; must be destroyed before the connection closes.
// Copying is deleted (the hook holds `this`).
class Checkpointer {
 public:
  // `db_path` opens the guard connection (on first use). pages <= 0: no
  // hook at all (the WAL then grows until someone checkpoints; only for
  // tests that need that).
  Checkpointer(sqlite3* db, std::string db_path, std::string lock_path, int pages);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Tries the lock file and the write lock and, when it gets both, runs a
  // PASSIVE checkpoint.
  CheckpointOutcome Run();

 private:
  static int Hook(void* self, sqlite3* db, const char* schema, int pages);
  int LockFd();      // opened on first use; -1 when the file cannot be opened
  sqlite3* Guard();  // opened on first use; nullptr when it cannot be opened
  CheckpointOutcome RunUnderWriteLock();

  sqlite3* db_;
  std::string db_path_;
  std::string lock_path_;
  int pages_;
  int fd_ = -1;
  bool open_failed_ = false;
  sqlite3* guard_ = nullptr;  // holds the write lock during a checkpoint
  bool guard_failed_ = false;
};

}  // namespace chat
