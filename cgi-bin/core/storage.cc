// See storage.h.
#include "storage.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

namespace chat {

StorageFault FaultOf(const DbError& e) {
  switch (e.code() & 0xff) {
    case SQLITE_BUSY:
      return StorageFault::kBusy;
    case SQLITE_FULL:
      return StorageFault::kFull;
    case SQLITE_READONLY:
      return StorageFault::kReadOnly;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      if (e.sys_errno() == ENOSPC || e.sys_errno() == EDQUOT) return StorageFault::kFull;
      // A WAL or shared-memory file the process may not create (a read-only
      // folder or mount) makes the database as unwritable as its own mode.
      if (e.sys_errno() == EROFS || e.sys_errno() == EACCES || e.sys_errno() == EPERM) {
        return StorageFault::kReadOnly;
      }
      return StorageFault::kOther;
    default:
      return StorageFault::kOther;
  }
}

ApiError FaultError(StorageFault fault) {
  ApiError e;
  switch (fault) {
    case StorageFault::kBusy:
      e = Err(503, "busy", "The server is busy; try again in a moment.");
      e.retry_after = 1;
      break;
    case StorageFault::kFull:
      e = Err(503, "storage_full",
              "The server's disk is full, so nothing was stored; try again later.");
      e.retry_after = 30;
      break;
    case StorageFault::kReadOnly:
      e = Err(503, "storage_read_only",
              "The server cannot write its database right now, so nothing was stored; try again "
              "later.");
      e.retry_after = 10;
      break;
    case StorageFault::kOther:
      e = Err(500, "internal_error", "Something went wrong on the server.");
      break;
  }
  return e;
}

namespace {

std::string FolderOf(const std::string& path) {
  return path.find('/') == std::string::npos ? std::string(".")
                                             : path.substr(0, path.rfind('/') + 1);
}

}  // namespace

bool StorageWritable(const std::string& db_path) {
  return access(db_path.c_str(), W_OK) == 0 && access(FolderOf(db_path).c_str(), W_OK) == 0;
}

bool StorageNearlyFull(const std::string& db_path) {
  std::string dir = FolderOf(db_path);
  struct statvfs st;
  if (statvfs(dir.c_str(), &st) != 0) return false;  // cannot tell: the probe's write lock will
  // Root may also use the blocks kept back for it (f_bfree); others only f_bavail.
  unsigned long long blocks = geteuid() == 0 ? st.f_bfree : st.f_bavail;
  return static_cast<long long>(blocks * st.f_frsize) < kMinFreeBytes;
}

}  // namespace chat
