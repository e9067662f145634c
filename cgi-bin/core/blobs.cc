// See blobs.h.
#include "blobs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "log.h"

namespace chat {
namespace {

std::runtime_error SysError(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " " + path + ": " + strerror(errno));
}

void MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0750) != 0 && errno != EEXIST) throw SysError("mkdir", path);
}

void SyncDir(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw SysError("open", path);
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) throw SysError("fsync", path);
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return s;
}

bool Named(Db& db, const std::string& name) {
  auto q = db.Prepare(
      "SELECT 1 WHERE EXISTS (SELECT 1 FROM files WHERE blob = ?1) "
      "OR EXISTS (SELECT 1 FROM files WHERE thumb_blob = ?1)");
  return q.Bind(1, name).Step();
}

}  // namespace

bool IsBlobName(const std::string& name) {
  if (name.size() != 64) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string BlobPath(const Config& config, const std::string& name) {
  return config.files_dir + "/" + name.substr(0, 2) + "/" + name;
}

PendingBlob::~PendingBlob() {
  if (!temp_.empty()) unlink(temp_.c_str());
}

PendingBlob::PendingBlob(PendingBlob&& o) noexcept : name_(o.name_), temp_(o.temp_) {
  o.temp_.clear();
}

PendingBlob& PendingBlob::operator=(PendingBlob&& o) noexcept {
  if (this != &o) {
    if (!temp_.empty()) unlink(temp_.c_str());
    name_ = o.name_;
    temp_ = o.temp_;
    o.temp_.clear();
  }
  return *this;
}

PendingBlob PendingBlob::Write(const Config& config, const std::string& bytes) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  unsigned char rnd[12];
  randombytes_buf(rnd, sizeof rnd);
  PendingBlob b;
  b.name_ = Hex(hash, sizeof hash);
  MakeDir(config.files_dir);
  MakeDir(config.files_dir + "/tmp");
  std::string temp = config.files_dir + "/tmp/" + Hex(rnd, sizeof rnd);
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) throw SysError("create", temp);
  b.temp_ = temp;  // removed by the destructor from here on
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      throw SysError("write", temp);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    close(fd);
    throw SysError("fsync", temp);
  }
  if (close(fd) != 0) throw SysError("close", temp);
  return b;
}

void PendingBlob::Place(const Config& config) {
  std::string dir = config.files_dir + "/" + name_.substr(0, 2);
  MakeDir(dir);
  std::string path = dir + "/" + name_;
  if (rename(temp_.c_str(), path.c_str()) != 0) throw SysError("rename", temp_);
  temp_.clear();
  SyncDir(dir);
}

void EmptyBlobTrash(const Config& config, Db& db) {
  try {
    // Nearly always empty: a read, not the write lock, finds that out.
    if (!db.Prepare("SELECT 1 FROM blob_trash LIMIT 1").Step()) return;
    for (;;) {
      Transaction tx(db);
      auto q = db.Prepare("SELECT blob FROM blob_trash LIMIT 200");
      std::vector<std::string> names;
      while (q.Step()) names.push_back(q.Text(0));
      if (names.empty()) return;
      for (const std::string& name : names) {
        if (IsBlobName(name) && !Named(db, name)) {
          std::string path = BlobPath(config, name);
          if (unlink(path.c_str()) != 0 && errno != ENOENT) throw SysError("unlink", path);
        }
        db.Prepare("DELETE FROM blob_trash WHERE blob = ?1").Bind(1, name).Run();
      }
      tx.Commit();
    }
  } catch (const std::exception& e) {
    LogLine("blobs", std::string("blob trash left for later: ") + e.what());
  }
}

std::vector<std::string> ListBlobs(const Config& config) {
  std::vector<std::string> names;
  DIR* top = opendir(config.files_dir.c_str());
  if (top == nullptr) return names;
  while (dirent* d = readdir(top)) {
    std::string sub = d->d_name;
    if (sub.size() != 2) continue;
    DIR* inner = opendir((config.files_dir + "/" + sub).c_str());
    if (inner == nullptr) continue;
    while (dirent* f = readdir(inner)) {
      std::string name = f->d_name;
      if (IsBlobName(name) && name.compare(0, 2, sub) == 0) names.push_back(name);
    }
    closedir(inner);
  }
  closedir(top);
  return names;
}

}  // namespace chat
