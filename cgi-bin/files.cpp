// files: uploads of files and images to a room, and their bytes for the
// people allowed in it (DESIGN.md "Version 2", issue 16). A program of its
// own so that libvips' decoding memory and a 10 MB body stay out of the
// post and poll workers (README "Files and images").
//
// An upload never holds the write lock while it receives, decodes or
// writes: a short transaction checks membership, the rate limit and the
// quota first; the decoding (files/image.h) and the fsynced write of the
// bytes (core/blobs.h) happen outside any transaction; a second short one
// checks again and inserts the row as the bytes are renamed into place.
// Reading streams the file from disk in 64 KiB pieces after the access
// check (who may read the room, inside it or not), so a worker never holds
// a whole file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "core/attachments.h"
#include "core/blobs.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/log.h"
#include "core/rooms.h"
#include "core/throttle.h"
#include "files/image.h"
#include "files/names.h"

namespace chat {
namespace {

constexpr size_t kReadPiece = 64 * 1024;

ApiError QuotaExceeded() {
  return Err(507, "quota_exceeded",
             "There is no room left for this file: delete older files or ask the admin.");
}

ApiError FileTooLarge(const Config& config) {
  return Err(
      413, "file_too_large",
      "Files can be at most " + std::to_string(config.file_max_bytes / (1024 * 1024)) + " MB.");
}

// The user's files and everyone's, with `adding` more bytes, against the
// quotas (CHAT_FILE_USER_QUOTA_MB, CHAT_FILE_TOTAL_QUOTA_MB).
Status CheckQuota(Context& ctx, int64_t adding) {
  auto mine = ctx.db.Prepare("SELECT coalesce(sum(size), 0) FROM files WHERE user_id = ?1");
  mine.Bind(1, ctx.user().id).Step();
  if (mine.Int(0) + adding > ctx.config.file_user_quota) return QuotaExceeded();
  auto all = ctx.db.Prepare("SELECT coalesce(sum(size), 0) FROM files");
  all.Step();
  if (all.Int(0) + adding > ctx.config.file_total_quota) return QuotaExceeded();
  return std::nullopt;
}

// Uploads not posted within CHAT_FILE_UNPOSTED_MINUTES go (their bytes
// through blob_trash once the caller committed).
void SweepUnposted(Context& ctx, int64_t now) {
  ctx.db.Prepare("DELETE FROM files WHERE message_id IS NULL AND created_at <= ?1")
      .Bind(1, now - ctx.config.file_unposted_ms)
      .Run();
}

// The first transaction: may this user upload here, now, this much?
Status Admit(Context& ctx, int64_t size) {
  Transaction tx(ctx.db);
  Result<Room> room = CheckMembership(ctx.db, ctx.user().id, ctx.req.id);
  if (!room.ok()) return room.error();
  int64_t now = NowMs();
  TokenRate rate{"upload", ctx.config.upload_burst, ctx.config.upload_per_minute / 60};
  if (Status s = TakeUserToken(ctx.db, ctx.user().id, rate, now,
                               "You are uploading too fast; wait a moment.")) {
    return s;
  }
  SweepUnposted(ctx, now);
  if (Status s = CheckQuota(ctx, size)) return s;
  tx.Commit();
  EmptyBlobTrash(ctx.config, ctx.db);
  return std::nullopt;
}

// POST /api/rooms/{id}/files (multipart/form-data, one part named "file")
// Someone inside the room, from a page of this site (a same-origin Origin
// header is required: http.h kUpload). Stores the file; a PNG, JPEG, GIF or
// WebP that decodes is stored without its metadata, with its width, height
// and a thumbnail; anything else as sent, served only as a download. The
// reply's id is named in a post's "attachments" within
// CHAT_FILE_UNPOSTED_MINUTES (60), after which the upload is removed.
// 201 {"attachment"}. 401 not_logged_in; 403 bad_origin; 404
// room_not_found; 409 not_in_room; 410 room_deleted; 413 file_too_large
// (over CHAT_FILE_MAX_MB, or an image of more than CHAT_IMAGE_MAX_PIXELS
// pixels); 415 unsupported_file (not multipart, no "file" part, an empty
// file); 429 rate_limited (CHAT_UPLOADS_PER_MINUTE) with Retry-After;
// 507 quota_exceeded (CHAT_FILE_USER_QUOTA_MB, CHAT_FILE_TOTAL_QUOTA_MB).
Response HandleUpload(Context& ctx) {
  const FormPart* part = nullptr;
  int count = 0;
  for (const FormPart& p : ctx.req.files) {
    if (p.name == "file") {
      part = &p;
      ++count;
    }
  }
  if (count != 1) {
    return Response::Error(
        Err(415, "unsupported_file", "Send one file as multipart/form-data in a part named file."));
  }
  if (part->data.empty()) {
    return Response::Error(Err(415, "unsupported_file", "The file is empty."));
  }
  if (static_cast<int64_t>(part->data.size()) > ctx.config.file_max_bytes) {
    return Response::Error(FileTooLarge(ctx.config));
  }
  if (Status s = Admit(ctx, static_cast<int64_t>(part->data.size()))) return Response::Error(*s);

  ImageLimits limits{ctx.config.image_max_pixels, ctx.config.image_decode_seconds};
  ImageResult image = ProcessImage(part->data, limits);
  if (image.kind == ImageResult::kTooLarge) {
    return Response::Error(
        Err(413, "file_too_large",
            "The image has more than " + std::to_string(ctx.config.image_max_pixels) + " pixels."));
  }
  bool is_image = image.kind == ImageResult::kImage;
  const std::string& bytes = is_image ? image.stored : part->data;
  PendingBlob blob = PendingBlob::Write(ctx.config, bytes);
  PendingBlob thumb;
  if (is_image) thumb = PendingBlob::Write(ctx.config, image.thumb);

  Transaction tx(ctx.db);
  Result<Room> room = CheckMembership(ctx.db, ctx.user().id, ctx.req.id);
  if (!room.ok()) return Response::Error(room.error());
  if (Status s = CheckQuota(ctx, static_cast<int64_t>(bytes.size()))) return Response::Error(*s);
  blob.Place(ctx.config);
  if (is_image) thumb.Place(ctx.config);
  auto insert = ctx.db.Prepare(
      "INSERT INTO files (room_id, user_id, name, type, image, size, width, height, blob, "
      "thumb_blob, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  insert.Bind(1, ctx.req.id)
      .Bind(2, ctx.user().id)
      .Bind(3, CleanFileName(part->filename))
      .Bind(4, is_image ? image.type : ShownFileType(part->content_type))
      .Bind(5, static_cast<int64_t>(is_image ? 1 : 0))
      .Bind(6, static_cast<int64_t>(bytes.size()))
      .Bind(9, blob.name())
      .Bind(11, NowMs());
  if (is_image) {
    insert.Bind(7, static_cast<int64_t>(image.width))
        .Bind(8, static_cast<int64_t>(image.height))
        .Bind(10, thumb.name());
  }
  insert.Run();
  Json::Value body(Json::objectValue);
  body["attachment"] = AttachmentById(ctx.db, ctx.db.LastInsertId());
  tx.Commit();
  return Response::Json(201, body);
}

struct StoredFile {
  std::string name, type, blob, thumb_blob;
  bool image = false;
};

// The file if the caller may read it: it exists, the caller may read its
// room (core/rooms.h MayReadRoom: live, open or a member of it, not banned;
// the rule search and GET /api/mentions apply, so an attachment they show
// opens too), and it is posted or the caller's own upload. Being inside the
// room is not needed: a thumbnail on the Mentions page, in search results,
// or opened in a tab after moving rooms is read from elsewhere. Anyone else
// hears 404 file_not_found, whatever the reason, so no one learns what exists.
Result<StoredFile> FindReadable(Context& ctx) {
  ApiError missing = Err(404, "file_not_found", "There is no such file.");
  auto q = ctx.db.Prepare(
      "SELECT room_id, user_id, message_id, name, type, image, blob, thumb_blob FROM files "
      "WHERE id = ?1");
  if (!q.Bind(1, ctx.req.id).Step()) return missing;
  if (q.IsNull(2) && q.Int(1) != ctx.user().id) return missing;
  if (!MayReadRoom(ctx.db, q.Int(0), ctx.user().id)) return missing;
  StoredFile f;
  f.name = q.Text(3);
  f.type = q.Text(4);
  f.image = q.Int(5) == 1;
  f.blob = q.Text(6);
  if (!q.IsNull(7)) f.thumb_blob = q.Text(7);
  return f;
}

// The bytes of blob `name`, streamed after the headers: the open file is
// read to its end even if it is unlinked meanwhile (a deletion racing a
// download finishes the download).
Response StreamBlob(Context& ctx, const std::string& name, const std::string& type,
                    const std::string& disposition) {
  int fd = IsBlobName(name) ? open(BlobPath(ctx.config, name).c_str(), O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0) {
    LogLine("files", "blob missing: " + name);
    return Response::Error(Err(404, "file_not_found", "There is no such file."));
  }
  auto file = std::shared_ptr<int>(new int(fd), [](int* p) {
    close(*p);
    delete p;
  });
  struct stat st {};
  fstat(fd, &st);
  Response r;
  r.status = 200;
  r.headers = {
      {"Content-Type", type},
      {"Content-Length", std::to_string(st.st_size)},
      {"Content-Disposition", disposition},
      // Never sniffed into something active, never run as a page even if
      // opened directly (OWASP File Upload Cheat Sheet; CSP3 sandbox).
      {"X-Content-Type-Options", "nosniff"},
      {"Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'"},
      // The id never changes content: kept by the browser, never by a shared cache.
      {"Cache-Control", "private, max-age=31536000, immutable"},
  };
  r.stream = [file](const std::function<void(const std::string&)>& out) {
    std::string piece(kReadPiece, '\0');
    for (;;) {
      ssize_t n = read(*file, piece.data(), piece.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      out(std::string(piece.data(), static_cast<size_t>(n)));
    }
  };
  return r;
}

// GET /api/files/{id}
// Someone who may read the file's room (MayReadRoom: anyone not banned from
// an open room, the members of a private or direct one), inside it or not;
// before it is posted, its uploader only.
// 200 the bytes: a decoded image inline with its type; anything else as a
// download (Content-Disposition: attachment, application/octet-stream);
// always nosniff, a sandbox CSP, Cache-Control private immutable.
// 401 not_logged_in; 404 file_not_found (also for anyone not allowed).
Response HandleGetFile(Context& ctx) {
  Result<StoredFile> f = FindReadable(ctx);
  if (!f.ok()) return Response::Error(f.error());
  const StoredFile& file = f.value();
  if (file.image) {
    return StreamBlob(ctx, file.blob, file.type, ContentDisposition("inline", file.name));
  }
  return StreamBlob(ctx, file.blob, "application/octet-stream",
                    ContentDisposition("attachment", file.name));
}

// GET /api/files/{id}/thumb
// As GET /api/files/{id}, for an image: its WebP thumbnail (at most 400 x
// 400). 401; 404 file_not_found (also for a file that is not an image).
Response HandleGetThumb(Context& ctx) {
  Result<StoredFile> f = FindReadable(ctx);
  if (!f.ok()) return Response::Error(f.error());
  if (!f.value().image || f.value().thumb_blob.empty()) {
    return Response::Error(Err(404, "file_not_found", "This file has no thumbnail."));
  }
  return StreamBlob(ctx, f.value().thumb_blob, "image/webp", "inline");
}

const std::vector<Route> kRoutes = {
    {"POST", "/api/rooms/{id}/files", kNeedsSession | kUpload, HandleUpload},
    {"GET", "/api/files/{id}", kNeedsSession, HandleGetFile},
    {"GET", "/api/files/{id}/thumb", kNeedsSession, HandleGetThumb},
};

}  // namespace
}  // namespace chat

int main(int, char** argv) {
  if (!chat::StartImages(argv[0])) {
    chat::LogLine("files", "libvips failed to start");
    return 1;
  }
  return chat::Serve("files", chat::kRoutes, true);
}
