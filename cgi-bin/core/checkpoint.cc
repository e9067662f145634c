// See checkpoint.h.
#include "checkpoint.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace chat {

std::string CheckpointLockPath(const std::string& db_path) { return db_path + "-checkpoint.lock"; }

Checkpointer::Checkpointer(sqlite3* db, std::string db_path, std::string lock_path, int pages)
    : db_(db), db_path_(std::move(db_path)), lock_path_(std::move(lock_path)), pages_(pages) {
  sqlite3_wal_autocheckpoint(db_, 0);  // also clears SQLite's own hook
  if (pages_ > 0) sqlite3_wal_hook(db_, &Checkpointer::Hook, this);
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_hook(db_, nullptr, nullptr);
  sqlite3_close(guard_);
  if (fd_ >= 0) close(fd_);
}

sqlite3* Checkpointer::Guard() {
  if (guard_ != nullptr || guard_failed_) return guard_;
  if (sqlite3_open_v2(db_path_.c_str(), &guard_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    sqlite3_close(guard_);
    guard_ = nullptr;
    guard_failed_ = true;
    return nullptr;
  }
  sqlite3_wal_autocheckpoint(guard_, 0);  // it never commits anything, but to be sure
  sqlite3_busy_timeout(guard_, kGuardWaitMs);
  return guard_;
}

CheckpointOutcome Checkpointer::RunUnderWriteLock() {
  sqlite3* guard = Guard();
  if (guard != nullptr) {
    int rc = sqlite3_exec(guard, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return CheckpointOutcome::kSkipped;  // writers busy: a later commit
  }
  // Without a guard (it could not be opened) the checkpoint still runs, as
  // without a lock file below.
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (guard != nullptr) sqlite3_exec(guard, "ROLLBACK", nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? CheckpointOutcome::kDone : CheckpointOutcome::kFailed;
}

int Checkpointer::LockFd() {
  if (fd_ >= 0 || open_failed_) return fd_;
  // Read-only is enough for flock, so a lock file another account made
  // (chatctl run as root) still works for the workers.
  fd_ = open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fd_ = open(lock_path_.c_str(), O_RDONLY | O_CLOEXEC);
  open_failed_ = fd_ < 0;
  return fd_;
}

CheckpointOutcome Checkpointer::Run() {
  int fd = LockFd();
  if (fd >= 0) {
    int rc;
    do {
      rc = flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return CheckpointOutcome::kSkipped;
  }
  // Without a lock file (a folder we cannot write) the checkpoint still
  // runs, under the write lock: a WAL that grows without end is a certain
  // failure.
  CheckpointOutcome outcome = RunUnderWriteLock();
  if (fd >= 0) flock(fd, LOCK_UN);
  return outcome;
}

int Checkpointer::Hook(void* self, sqlite3*, const char*, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  if (pages >= c->pages_) c->Run();
  // Whatever happened, the commit did: an error here would make SQLite
  // report the committed statement as failed.
  return SQLITE_OK;
}

}  // namespace chat
