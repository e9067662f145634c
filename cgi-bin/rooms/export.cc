// rooms: a room's whole history as a download (JSON lines or HTML). The
// pages are written by core/export.h after the headers; this file checks
// the format and, before each page, that the reader may still read.
#include "core/export.h"

#include <exception>
#include <functional>
#include <string>

#include "core/log.h"
#include "core/test_gate.h"
#include "core/validate.h"
#include "rooms/handlers.h"

namespace chat {

// GET /api/rooms/{id}/export?format=jsonl|html
// Someone inside the room (kNeedsMembership: the access rule, then being in
// it, as DESIGN.md's row lists 409) downloads its whole live history:
// Content-Disposition: attachment, "room-{id}.jsonl" (one message object a
// line, oldest first) or "room-{id}.html" (every user string HTML-escaped).
// Written in pages after the headers (core/export.h), so memory stays
// bounded; a page is written only while the caller is still inside the
// room with a live account (removed, banned, the room deleted or the
// account disabled meanwhile: the download stops short). 200. 400
// invalid_format; 404 room_not_found; 409 not_in_room; 410 room_deleted;
// 401.
Response HandleExport(Context& ctx) {
  const std::string format = ctx.req.Param("format").value_or("");
  if (format != "jsonl" && format != "html") {
    return Response::Error(Err(400, "invalid_format", "Ask for format=jsonl or format=html."));
  }
  const Room room = *FindRoom(ctx.db, ctx.req.id);
  Response r;
  const std::string file = "room-" + std::to_string(room.id) + "." + format;
  r.headers.emplace_back("Content-Type", format == "html" ? "text/html; charset=utf-8"
                                                          : "application/jsonl; charset=utf-8");
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file + "\"");
  Db& db = ctx.db;
  const int64_t user_id = ctx.user().id;
  const std::string who = FoldCase(ctx.user().username);
  r.stream = [&db, room, format, user_id, who](const std::function<void(const std::string&)>& out) {
    try {
      // Each page is a read of its own, so the caller's access can end
      // while the download runs: before every page after the first, the
      // caller must still be inside the room (removal, ban and deletion end
      // that) with a live account (disabling it ends their sessions).
      bool whole = WriteExport(db, room, format, out, [&] {
        PauseAtTestGate("export", who);  // test_gate.h: off unless a race test opens it
        return CheckMembership(db, user_id, room.id).ok() &&
               db.Prepare("SELECT 1 FROM users WHERE id = ?1 AND disabled_at IS NULL")
                   .Bind(1, user_id)
                   .Step();
      });
      if (!whole) {
        LogLine("rooms", "export of room " + std::to_string(room.id) +
                             " stopped: the reader's access ended");
      }
    } catch (const std::exception& e) {
      // The status is sent: the download ends short, and the log says why.
      LogLine("rooms",
              std::string("export of room ") + std::to_string(room.id) + " stopped: " + e.what());
    }
  };
  return r;
}

}  // namespace chat
