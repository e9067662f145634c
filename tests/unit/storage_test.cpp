// Table-driven tests of how storage failures are told apart
// (core/storage.h): which SQLite result code, with which OS error, is a
// full disk, a read-only database, a busy lock, or something else; and the
// reply each one gets.
#include "core/storage.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace chat {
namespace {

TEST(Storage, FaultsAreToldApartByResultCodeAndOsError) {
  struct Case {
    int code, sys_errno;
    StorageFault want;
    const char* what;
  };
  std::vector<Case> cases = {
      {SQLITE_FULL, 0, StorageFault::kFull, "SQLITE_FULL"},
      {SQLITE_FULL, ENOSPC, StorageFault::kFull, "SQLITE_FULL with ENOSPC"},
      {SQLITE_IOERR_WRITE, ENOSPC, StorageFault::kFull, "a WAL write of ENOSPC"},
      {SQLITE_IOERR_SHMSIZE, ENOSPC, StorageFault::kFull, "growing -shm on a full disk"},
      {SQLITE_IOERR_FSYNC, EDQUOT, StorageFault::kFull, "over quota"},
      {SQLITE_IOERR_WRITE, EIO, StorageFault::kOther, "a failing disk"},
      {SQLITE_IOERR_WRITE, 0, StorageFault::kOther, "an I/O error of no known cause"},
      {SQLITE_IOERR_WRITE, EROFS, StorageFault::kReadOnly, "remounted read-only"},
      {SQLITE_READONLY, 0, StorageFault::kReadOnly, "SQLITE_READONLY"},
      {SQLITE_READONLY_DBMOVED, 0, StorageFault::kReadOnly, "the file replaced"},
      {SQLITE_CANTOPEN, EACCES, StorageFault::kReadOnly, "-wal in a folder it may not write"},
      {SQLITE_CANTOPEN, ENOENT, StorageFault::kOther, "a missing folder"},
      {SQLITE_BUSY, 0, StorageFault::kBusy, "SQLITE_BUSY"},
      {SQLITE_BUSY_SNAPSHOT, 0, StorageFault::kBusy, "SQLITE_BUSY_SNAPSHOT"},
      {SQLITE_CORRUPT, 0, StorageFault::kOther, "corruption"},
      {SQLITE_CONSTRAINT_FOREIGNKEY, 0, StorageFault::kOther, "a constraint"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FaultOf(DbError(c.code, "x", c.sys_errno)), c.want) << c.what;
  }
}

TEST(Storage, EachFaultHasItsReply) {
  struct Case {
    StorageFault fault;
    int status;
    std::string code;
    bool retry_after;
  };
  std::vector<Case> cases = {
      {StorageFault::kBusy, 503, "busy", true},
      {StorageFault::kFull, 503, "storage_full", true},
      {StorageFault::kReadOnly, 503, "storage_read_only", true},
      {StorageFault::kOther, 500, "internal_error", false},
  };
  for (const Case& c : cases) {
    ApiError e = FaultError(c.fault);
    EXPECT_EQ(e.status, c.status) << c.code;
    EXPECT_EQ(e.code, c.code);
    EXPECT_FALSE(e.message.empty()) << c.code;
    EXPECT_EQ(e.retry_after > 0, c.retry_after) << c.code;
  }
}

TEST(Storage, WritableAndNearlyFullLookAtTheFileAndItsFolder) {
  char dir[] = "/tmp/chat-storage-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string db = std::string(dir) + "/chat.db";
  EXPECT_FALSE(StorageWritable(db)) << "no file yet";
  FILE* f = fopen(db.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  EXPECT_TRUE(StorageWritable(db));
  EXPECT_FALSE(StorageNearlyFull(db)) << "/tmp has more than 1 MiB free";
  EXPECT_FALSE(StorageWritable(std::string(dir) + "/missing/chat.db"));
  unlink(db.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace chat
