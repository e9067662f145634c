// Where the bytes of files and images live: beside chat.db, in
// CHAT_FILES_DIR (default "<db>.files"), each named by the SHA-256 of its
// content (ab/abcdef...), so the same bytes uploaded twice are stored once
// and a name never changes content (the API's files are cached immutable).
//
// Why files and not SQLite blobs (README "Files and images"): a 10 MB
// upload written into chat.db would hold the one write lock while those
// pages go to the WAL (every other post waits), grow the WAL past its
// checkpoint bound, and make every backup copy them again; files beside the
// database are written with no lock held and read back in small pieces.
//
// Crash safety (the rule of rename(2), as SQLite's own journal uses it): the
// bytes go to tmp/ under a random name, are fsynced, and are renamed into
// place with the folder fsynced, inside the write transaction that inserts
// the row naming them; removal happens in a write transaction too, only for
// blobs that no row names (EmptyBlobTrash), so an upload of the same bytes
// at the same moment can never lose its file. A crash leaves at worst a
// blob nobody names, which `chatctl check` lists and `chatctl check --fix`
// removes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config.h"
#include "db.h"
#include "result.h"

namespace chat {

// True for 64 lower-case hex digits: the only names ever turned into paths.
bool IsBlobName(const std::string& name);
// CHAT_FILES_DIR/ab/abcdef... for a blob name.
std::string BlobPath(const Config& config, const std::string& name);

// Bytes written to a temporary file and fsynced, not yet in place.
class PendingBlob {
 public:
  PendingBlob() = default;
  ~PendingBlob();  // removes the temporary file unless placed
  PendingBlob(PendingBlob&& o) noexcept;
  PendingBlob& operator=(PendingBlob&& o) noexcept;
  PendingBlob(const PendingBlob&) = delete;
  PendingBlob& operator=(const PendingBlob&) = delete;

  // Hashes `bytes`, writes them to CHAT_FILES_DIR/tmp/ and fsyncs them.
  // Throws std::runtime_error when the disk refuses (the accept loop's 500/503).
  static PendingBlob Write(const Config& config, const std::string& bytes);
  const std::string& name() const { return name_; }
  // Renames the file to its blob path (keeping an identical one already
  // there) and fsyncs the folder. Call inside the write transaction that
  // inserts the row naming it.
  void Place(const Config& config);

 private:
  std::string name_;  // SHA-256 hex of the content
  std::string temp_;  // the temporary path, "" once placed
};

// Removes from disk the blobs in blob_trash that no files row names any
// more, and empties blob_trash; in write transactions of its own, so call
// it after the caller's commit. Never throws: what it could not do stays in
// blob_trash for the next call (and `chatctl check`).
//
// The hook for anything that deletes messages, rooms or users (retention
// included): delete the rows as usual (files rows go by ON DELETE CASCADE,
// and the trigger files_trash queues their blobs), commit, then call this.
void EmptyBlobTrash(const Config& config, Db& db);

// Every blob name on disk (for chatctl check and backup).
std::vector<std::string> ListBlobs(const Config& config);

}  // namespace chat
