// chatctl and the files beside the database (core/blobs.h): backup and
// restore carry them, check finds orphans both ways, `files sweep` removes
// what nobody needs any more. A blob never changes once written (its name
// is its SHA-256), so a backup may hard-link it instead of copying when the
// backup is on the same file system; a link is as safe as a copy because
// the chat only ever creates or unlinks blobs, never writes into one.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "chatctl/chatctl.h"
#include "core/blobs.h"
#include "core/clock.h"

namespace chat::ctl {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Every blob a files row of `db` names (file and thumbnail).
std::set<std::string> NamedBlobs(sqlite3* db) {
  std::set<std::string> names;
  sqlite3_stmt* st = nullptr;
  const char* sql =
      "SELECT blob FROM files UNION SELECT thumb_blob FROM files WHERE thumb_blob IS NOT NULL";
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      if (t != nullptr) names.insert(reinterpret_cast<const char*>(t));
    }
  }
  sqlite3_finalize(st);
  return names;
}

// Copies `from` to `to` through a temporary name, fsynced, then renamed:
// the blob store's own rule (core/blobs.h). A hard link when it can.
bool CopyBlob(const std::string& from, const std::string& to, std::string* error) {
  if (link(from.c_str(), to.c_str()) == 0 || errno == EEXIST) return true;
  std::string tmp = to + ".partial";
  int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  int out = in < 0 ? -1 : open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  bool ok = in >= 0 && out >= 0;
  char buf[64 * 1024];
  while (ok) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    ok = write(out, buf, static_cast<size_t>(n)) == n;
  }
  if (ok) ok = fsync(out) == 0;
  if (!ok) *error = from + ": " + strerror(errno);
  if (in >= 0) close(in);
  if (out >= 0 && close(out) != 0) ok = false;
  if (ok && rename(tmp.c_str(), to.c_str()) != 0) {
    *error = "rename " + tmp + ": " + strerror(errno);
    ok = false;
  }
  if (!ok) unlink(tmp.c_str());
  return ok;
}

// Copies the blobs `names` from one blob folder to another (same layout).
bool CopyBlobs(const std::set<std::string>& names, const Config& from, const Config& to,
               int* copied, std::string* error) {
  mkdir(to.files_dir.c_str(), 0750);
  for (const std::string& name : names) {
    if (!IsBlobName(name)) continue;
    std::string dest = BlobPath(to, name);
    mkdir(dest.substr(0, dest.rfind('/')).c_str(), 0750);
    if (Exists(dest)) continue;
    if (!CopyBlob(BlobPath(from, name), dest, error)) return false;
    ++*copied;
  }
  return true;
}

}  // namespace

std::string BackupFilesDir(const std::string& backup) { return backup + ".files"; }

bool BackupFiles(const Config& config, sqlite3* copy, const std::string& backup, int* copied,
                 std::string* error) {
  Config to = config;
  to.files_dir = BackupFilesDir(backup);
  std::set<std::string> names = NamedBlobs(copy);
  if (!CopyBlobs(names, config, to, copied, error)) {
    *error += " (a file deleted while the backup ran? run the backup again)";
    return false;
  }
  return true;
}

bool RestoreFiles(const Config& config, sqlite3* backup_db, const std::string& backup, int* copied,
                  std::string* error) {
  Config from = config;
  from.files_dir = BackupFilesDir(backup);
  std::set<std::string> names = NamedBlobs(backup_db);
  if (!names.empty() && !Exists(from.files_dir)) {
    *error = from.files_dir + " is missing: the backup's files are not beside it";
    return false;
  }
  return CopyBlobs(names, from, config, copied, error);
}

int RemoveOrphanBlobs(const Config& config, Db& db) {
  std::set<std::string> named = NamedBlobs(db.raw());
  int removed = 0;
  for (const std::string& name : ListBlobs(config)) {
    if (named.count(name) == 0 && unlink(BlobPath(config, name).c_str()) == 0) ++removed;
  }
  return removed;
}

void CheckFiles(const Config& config, Db& db,
                const std::function<void(bool, const std::string&)>& report) {
  std::set<std::string> named = NamedBlobs(db.raw());
  std::vector<std::string> on_disk = ListBlobs(config);
  std::set<std::string> present(on_disk.begin(), on_disk.end());
  int missing = 0, orphans = 0;
  for (const std::string& name : named) {
    if (present.count(name) == 0) {
      ++missing;
      printf("        missing: %s\n", BlobPath(config, name).c_str());
    }
  }
  for (const std::string& name : on_disk) {
    if (named.count(name) == 0) {
      ++orphans;
      printf("        orphan: %s\n", BlobPath(config, name).c_str());
    }
  }
  report(missing == 0, "files named by the database and on disk in " + config.files_dir + " (" +
                           std::to_string(named.size()) + " named, " + std::to_string(missing) +
                           " missing)");
  report(orphans == 0, "no file on disk that the database does not name (" +
                           std::to_string(orphans) +
                           " orphan(s); `chatctl files sweep` removes them)");
}

// chatctl files sweep
int CmdFilesSweep(Args& a, Db& db) {
  if (!a.rest.empty()) return Usage("chatctl files sweep");
  Transaction tx(db);
  db.Prepare("DELETE FROM files WHERE message_id IS NULL AND created_at <= ?1")
      .Bind(1, NowMs() - a.config.file_unposted_ms)
      .Run();
  int unposted = db.Changes();
  tx.Commit();
  EmptyBlobTrash(a.config, db);
  int orphans = RemoveOrphanBlobs(a.config, db);
  // Temporary files of uploads cut off by a crash, older than an hour.
  int temps = 0;
  std::string tmp = a.config.files_dir + "/tmp";
  if (DIR* d = opendir(tmp.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string path = tmp + "/" + e->d_name;
      struct stat st;
      if (e->d_name[0] != '.' && stat(path.c_str(), &st) == 0 &&
          st.st_mtime < time(nullptr) - 3600 && unlink(path.c_str()) == 0) {
        ++temps;
      }
    }
    closedir(d);
  }
  printf("removed %d unposted upload(s), %d orphan file(s), %d stale temporary file(s)\n", unposted,
         orphans, temps);
  return 0;
}

}  // namespace chat::ctl
