// chatctl room ...: the rooms as an admin sees them (deleted ones too),
// deleting one exactly as its owner would through the API, so anyone inside
// learns on their next poll that it was deleted, and exporting one's history
// with the very code of GET /api/rooms/{id}/export (core/export.h), so the
// two give the same bytes.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "chatctl/chatctl.h"
#include "core/audit.h"
#include "core/blobs.h"
#include "core/clock.h"
#include "core/export.h"
#include "core/validate.h"

namespace chat::ctl {

// chatctl room list
int CmdRoomList(Args& a, Db& db) {
  if (!a.rest.empty()) return Usage("chatctl room list");
  auto q = db.Prepare(
      "SELECT r.id, r.name, u.username, r.created_at, r.deleted_at, "
      "(SELECT count(*) FROM users m WHERE m.room_id = r.id), "
      "(SELECT count(*) FROM messages g WHERE g.room_id = r.id) "
      "FROM rooms r JOIN users u ON u.id = r.owner_id ORDER BY r.id");
  printf("%-6s %-24s %-20s %-8s %-8s %-8s %s\n", "id", "name", "owner", "members", "messages",
         "state", "created");
  while (q.Step()) {
    printf("%-6lld %-24s %-20s %-8lld %-8lld %-8s %s\n", static_cast<long long>(q.Int(0)),
           q.Text(1).c_str(), q.Text(2).c_str(), static_cast<long long>(q.Int(5)),
           static_cast<long long>(q.Int(6)), q.IsNull(4) ? "live" : "deleted",
           When(q.Int(3)).c_str());
  }
  return 0;
}

// chatctl room delete ID
int CmdRoomDelete(Args& a, Db& db) {
  if (a.rest.size() != 1) return Usage("chatctl room delete ID");
  std::optional<int64_t> id = ParseDecimal(a.rest[0]);
  if (!id || *id <= 0) return Fail("a room id is a number (`chatctl room list` shows them)");
  Transaction tx(db);
  auto q = db.Prepare("SELECT name, deleted_at FROM rooms WHERE id = ?1");
  if (!q.Bind(1, *id).Step()) return Fail("no room " + a.rest[0]);
  std::string name = q.Text(0);
  if (!q.IsNull(1)) return Fail("room " + a.rest[0] + " (" + name + ") is already deleted");
  db.Prepare("UPDATE rooms SET deleted_at = ?2 WHERE id = ?1").Bind(1, *id).Bind(2, NowMs()).Run();
  db.Prepare("DELETE FROM messages WHERE room_id = ?1").Bind(1, *id).Run();
  int messages = db.Changes();
  db.Prepare("DELETE FROM files WHERE room_id = ?1").Bind(1, *id).Run();  // unposted ones
  db.Prepare("UPDATE users SET room_id = NULL WHERE room_id = ?1").Bind(1, *id).Run();
  const AuditEntry audit = ChatctlAction("room_delete", Named("room", *id, name),
                                         std::to_string(messages) + " message(s)");
  RecordAudit(db, audit);
  tx.Commit();
  LogAudit("chatctl", audit);
  EmptyBlobTrash(a.config, db);
  printf("deleted room %lld (%s) and %d message(s)\n", static_cast<long long>(*id), name.c_str(),
         messages);
  return 0;
}

// chatctl room export ROOM --format jsonl|html [--out FILE]
// ROOM is a room's id or a live room's name (any case). The history goes to
// stdout, or to FILE, made new with mode 0600 (it may hold a private room's
// messages) and refused when it exists.
int CmdRoomExport(Args& a, Db& db) {
  const char* usage = "chatctl room export ROOM --format jsonl|html [--out FILE]";
  std::string room_arg, format, out_path;
  for (size_t i = 0; i < a.rest.size(); ++i) {
    const std::string& w = a.rest[i];
    if ((w == "--format" || w == "--out") && i + 1 < a.rest.size()) {
      (w == "--format" ? format : out_path) = a.rest[++i];
    } else if (w.rfind("--format=", 0) == 0) {
      format = w.substr(9);
    } else if (w.rfind("--out=", 0) == 0) {
      out_path = w.substr(6);
    } else if (room_arg.empty() && w.rfind("--", 0) != 0) {
      room_arg = w;
    } else {
      return Usage(usage);
    }
  }
  if (room_arg.empty() || (format != "jsonl" && format != "html")) return Usage(usage);
  std::optional<Room> room;
  if (std::optional<int64_t> id = ParseDecimal(room_arg); id && *id > 0) room = FindRoom(db, *id);
  if (!room) {
    auto q = db.Prepare("SELECT id FROM rooms WHERE name_key = ?1 AND deleted_at IS NULL");
    if (q.Bind(1, RoomNameKey(room_arg)).Step()) room = FindRoom(db, q.Int(0));
  }
  if (!room) return Fail("no room \"" + room_arg + "\" (`chatctl room list` shows them)");
  if (room->deleted) return Fail("room " + room_arg + " is deleted: its messages are gone");
  FILE* out = stdout;
  if (!out_path.empty()) {
    int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Fail(out_path + ": " + strerror(errno));
    out = fdopen(fd, "w");
    if (out == nullptr) {
      close(fd);
      return Fail(out_path + ": " + strerror(errno));
    }
  }
  // Reading another's history is an admin's act too: in the audit log.
  {
    Transaction tx(db);
    const AuditEntry audit = ChatctlAction("room_export", Named("room", room->id, room->name),
                                           format + (out_path.empty() ? "" : " to " + out_path));
    RecordAudit(db, audit);
    tx.Commit();
    LogAudit("chatctl", audit);
  }
  bool ok = true;
  WriteExport(
      db, *room, format,
      [out, &ok](const std::string& piece) {
        if (ok && fwrite(piece.data(), 1, piece.size(), out) != piece.size()) ok = false;
      },
      [] { return true; });  // the operator reads every room
  if (fflush(out) != 0) ok = false;
  if (out != stdout && fclose(out) != 0) ok = false;
  if (!ok) return Fail("writing the export failed: " + std::string(strerror(errno)));
  return 0;
}

}  // namespace chat::ctl
