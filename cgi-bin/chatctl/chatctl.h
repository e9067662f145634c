// chatctl: the administrator's tool, built on the same core as the programs
// (core/db, core/migrate, core/password, core/session), so it reads and
// writes chat.db exactly as they do. Each command is a function over the
// parsed arguments; the table in main.cc names it, says its usage and help,
// and whether it needs the database open. A command prints what it did on
// stdout, explains a failure in one sentence on stderr and returns the exit
// code (0 done, 1 failed, 2 wrong usage).
#pragma once

#include <sqlite3.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/db.h"

namespace chat::ctl {

struct Args {
  Config config;                  // CHAT_DB etc., with --db applied
  std::vector<std::string> rest;  // the command's own arguments
};

// Prints "chatctl: <message>" on stderr; returns 1 for `return Fail(...)`.
int Fail(const std::string& message);
// Prints the usage line of the command on stderr; returns 2.
int Usage(const char* usage);

// Opens the existing database and brings it to the schema version this tool
// speaks (migrate.h); nullptr after printing why not.
std::unique_ptr<Db> OpenDb(const Config& config);
// A new password: read from stdin (one line; asked for without echo on a
// terminal) and checked against the API's rules; empty after printing why not.
std::string ReadNewPassword();
// "2026-11-26T04:14:51.123Z", or "-" for 0.
std::string When(int64_t ms);

// Commands (see main.cc for their usage and help).
int CmdInit(Args& a);
int CmdSearchReindex(Args& a, Db& db);
int CmdMigrate(Args& a);
int CmdUserAdd(Args& a, Db& db);
int CmdUserList(Args& a, Db& db);
int CmdUserResetPassword(Args& a, Db& db);
int CmdUserDisable(Args& a, Db& db);
int CmdUserEnable(Args& a, Db& db);
int CmdUserAdmin(Args& a, Db& db);
int CmdUserDelete(Args& a, Db& db);
int CmdRoomList(Args& a, Db& db);
int CmdRoomDelete(Args& a, Db& db);
int CmdRoomExport(Args& a, Db& db);
int CmdPrune(Args& a, Db& db);
int CmdAudit(Args& a, Db& db);
int CmdBackup(Args& a, Db& db);
int CmdRestore(Args& a);
int CmdStats(Args& a, Db& db);
int CmdCheck(Args& a);
int CmdSecretRotate(Args& a, Db& db);
int CmdFilesSweep(Args& a, Db& db);

// The files beside the database (files.cc, core/blobs.h). A backup FILE's
// files are in FILE.files/, laid out like CHAT_FILES_DIR.
std::string BackupFilesDir(const std::string& backup);
// Copies (or hard-links) every blob the backup copy `copy` names.
bool BackupFiles(const Config& config, sqlite3* copy, const std::string& backup, int* copied,
                 std::string* error);
// Copies back every blob the backup `backup_db` names that is not on disk.
bool RestoreFiles(const Config& config, sqlite3* backup_db, const std::string& backup, int* copied,
                  std::string* error);
// Removes the blobs on disk that no files row names; returns how many.
int RemoveOrphanBlobs(const Config& config, Db& db);
// Reports blobs named but missing, and blobs on disk nobody names.
void CheckFiles(const Config& config, Db& db,
                const std::function<void(bool, const std::string&)>& report);

}  // namespace chat::ctl
