// The one-at-a-time checkpointer (core/checkpoint.h) on a real database file:
// a commit past the threshold checkpoints, so the next write starts the WAL
// over; while another holder has the lock file, nobody else checkpoints and
// the WAL keeps growing; the lock released, the next commit catches up; a
// checkpoint runs only while its process holds the write lock.
#include "core/checkpoint.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/config.h"
#include "core/db.h"

namespace chat {
namespace {

constexpr int kPages = 20;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/chat-ckpt-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    config_.db_path = dir_ + "/chat.db";
    config_.synchronous = "NORMAL";
    config_.checkpoint_pages = kPages;
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(config_.db_path.c_str(), &raw), SQLITE_OK);
    sqlite3_close(raw);
    db_ = Db::Open(config_);
    db_->Exec("CREATE TABLE t (x BLOB)");
    // A plain connection that only looks: no hook, no automatic checkpoint.
    ASSERT_EQ(sqlite3_open(config_.db_path.c_str(), &observer_), SQLITE_OK);
    sqlite3_wal_autocheckpoint(observer_, 0);
    ASSERT_EQ(sqlite3_open(config_.db_path.c_str(), &second_), SQLITE_OK);
  }

  // Holds the lock file as another process would: flock locks belong to the
  // open file, so a second open conflicts with the Checkpointer's own.
  int HoldLock() {
    int fd = open(CheckpointLockPath(config_.db_path).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
    return fd;
  }
  void TearDown() override {
    sqlite3_close(second_);
    sqlite3_close(observer_);
    db_.reset();
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }

  // One transaction writing about `pages` pages.
  void Write(int pages) {
    Transaction tx(*db_);
    for (int i = 0; i < pages; ++i) db_->Exec("INSERT INTO t VALUES (zeroblob(4000))");
    tx.Commit();
  }

  // The WAL-index header in the -shm file (sqlite.org/walformat.html), read
  // without a connection, since a checkpoint to look would change it: frames
  // in the WAL (mxFrame, offset 16) and frames already copied into the
  // database (nBackfill, offset 96), native byte order.
  struct WalState {
    uint32_t frames = 0;
    uint32_t copied = 0;
  };
  WalState Wal() {
    WalState w;
    int fd = open((config_.db_path + "-shm").c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(pread(fd, &w.frames, 4, 16), 4);
    EXPECT_EQ(pread(fd, &w.copied, 4, 96), 4);
    close(fd);
    return w;
  }

  std::string dir_;
  Config config_;
  std::unique_ptr<Db> db_;
  sqlite3* observer_ = nullptr;
  sqlite3* second_ = nullptr;  // for a Checkpointer of the test's own
};

TEST_F(CheckpointTest, SmallCommitsLeaveTheWalAlone) {
  Write(1);
  Write(1);
  WalState w = Wal();
  EXPECT_GT(w.frames, 0u);
  EXPECT_LT(w.frames, static_cast<uint32_t>(kPages));
  EXPECT_EQ(w.copied, 0u);
}

TEST_F(CheckpointTest, ACommitPastTheThresholdCopiesTheWalSoTheNextWriteStartsOver) {
  Write(2 * kPages);
  WalState w = Wal();
  EXPECT_GE(w.frames, static_cast<uint32_t>(2 * kPages));
  EXPECT_EQ(w.copied, w.frames) << "no reader held anything back";
  Write(1);
  EXPECT_LT(Wal().frames, static_cast<uint32_t>(kPages / 2));
}

TEST_F(CheckpointTest, WhileAnotherProcessHoldsTheLockNobodyElseCheckpoints) {
  int fd = HoldLock();
  Write(2 * kPages);
  Write(1);
  WalState held = Wal();
  EXPECT_GE(held.frames, static_cast<uint32_t>(2 * kPages));
  EXPECT_EQ(held.copied, 0u) << "checkpointed without the lock";
  Checkpointer other(second_, config_.db_path, CheckpointLockPath(config_.db_path), kPages);
  EXPECT_EQ(other.Run(), CheckpointOutcome::kSkipped);
  EXPECT_EQ(Wal().copied, 0u);

  ASSERT_EQ(flock(fd, LOCK_UN), 0);
  close(fd);
  Write(1);  // past the threshold still: this commit's hook takes the lock
  WalState after = Wal();
  EXPECT_EQ(after.copied, after.frames);
  Write(1);
  EXPECT_LT(Wal().frames, static_cast<uint32_t>(kPages / 2));
}

TEST_F(CheckpointTest, ItCheckpointsOnlyWhileHoldingTheWriteLockSoNoWriterCanRestartTheWal) {
  int fd = HoldLock();  // so the Db's own checkpointer stays out of it
  Write(2 * kPages);
  close(fd);
  ASSERT_EQ(sqlite3_exec(second_, "SELECT count(*) FROM t", nullptr, nullptr, nullptr), SQLITE_OK);
  Checkpointer own(second_, config_.db_path, CheckpointLockPath(config_.db_path), kPages);

  // A writer holds the write lock past kGuardWaitMs: no checkpoint.
  ASSERT_EQ(sqlite3_exec(observer_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(own.Run(), CheckpointOutcome::kSkipped);
  EXPECT_EQ(Wal().copied, 0u);
  ASSERT_EQ(sqlite3_exec(observer_, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);

  // The writer done, it copies everything, and lets the write lock go.
  EXPECT_EQ(own.Run(), CheckpointOutcome::kDone);
  WalState w = Wal();
  EXPECT_EQ(w.copied, w.frames);
  ASSERT_EQ(sqlite3_exec(observer_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(observer_, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
}

TEST_F(CheckpointTest, WithoutALockFileItStillCheckpoints) {
  int fd = HoldLock();  // so the Db's own checkpointer stays out of it
  Write(2 * kPages);
  EXPECT_EQ(Wal().copied, 0u);
  Checkpointer lockless(second_, config_.db_path, dir_ + "/no/such/folder/lock", kPages);
  // A connection opens the WAL at its first read (the workers' have, by the
  // time their commit calls the hook).
  ASSERT_EQ(sqlite3_exec(second_, "SELECT count(*) FROM t", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(lockless.Run(), CheckpointOutcome::kDone);
  WalState w = Wal();
  EXPECT_GT(w.copied, 0u);
  EXPECT_EQ(w.copied, w.frames);
  close(fd);
}

TEST_F(CheckpointTest, CommitsSucceedWhileAReaderHoldsAnOldSnapshotAndItCatchesUpAfter) {
  Write(1);
  sqlite3_stmt* read = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(observer_, "SELECT count(*) FROM t", -1, &read, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(observer_, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(read), SQLITE_ROW);      // the snapshot is taken here
  for (int i = 0; i < 5; ++i) Write(2 * kPages);  // each checkpoint stops at the reader
  WalState held = Wal();
  EXPECT_LT(held.copied, held.frames);
  EXPECT_GE(held.frames, static_cast<uint32_t>(10 * kPages));
  EXPECT_EQ(sqlite3_column_int(read, 0), 1);
  sqlite3_finalize(read);
  ASSERT_EQ(sqlite3_exec(observer_, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  Write(1);  // the reader gone, this commit's checkpoint copies everything
  WalState after = Wal();
  EXPECT_EQ(after.copied, after.frames);
  Write(1);
  EXPECT_LT(Wal().frames, static_cast<uint32_t>(kPages / 2));
}

}  // namespace
}  // namespace chat
