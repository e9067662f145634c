// Failures of the machine under the database, told apart so that a client
// and a monitor hear what is wrong instead of a bare 500: the write lock
// held past the busy timeout, a full disk, a database the process cannot
// write. Each is a 503 with its own code and a Retry-After, because each
// passes without the client changing anything; nothing was stored, so a
// retry (with its client_id) is safe. Anything else stays a 500.
//
// SQLite reports a full disk as SQLITE_FULL, but a write that fails with
// ENOSPC while growing the WAL's shared-memory file comes back as an
// SQLITE_IOERR (https://sqlite.org/rescode.html#ioerr); the OS error
// (sqlite3_system_errno) tells those apart from a failing disk.
#pragma once

#include <string>

#include "db.h"
#include "result.h"

namespace chat {

enum class StorageFault {
  kBusy,      // SQLITE_BUSY after busy_timeout: 503 busy
  kFull,      // no space (SQLITE_FULL, or an I/O error of ENOSPC/EDQUOT): 503 storage_full
  kReadOnly,  // SQLITE_READONLY (permission, read-only mount, file replaced): 503 storage_read_only
  kOther,     // anything else: 500 internal_error
};

StorageFault FaultOf(const DbError& e);
// The reply for a fault: the 503s above with Retry-After, or the 500.
ApiError FaultError(StorageFault fault);

// True when the file system holding `db_path` has less room left for this
// process than a burst of writes needs (kMinFreeBytes): what /api/health
// reports as storage_full before a write fails.
bool StorageNearlyFull(const std::string& db_path);
// False when this process may not write the database file or its folder
// (where SQLite makes the -wal and -shm files): a read-only mount, or
// permissions that a worker started now would fail on (access(2), so root
// passes where root could write).
bool StorageWritable(const std::string& db_path);
constexpr long long kMinFreeBytes = 1024 * 1024;

}  // namespace chat
