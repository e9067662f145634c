// chatctl room ...: the rooms as an admin sees them (deleted ones too), and
// deleting one exactly as its owner would through the API, so anyone inside
// learns on their next poll that it was deleted.
#include <cstdio>

#include "chatctl/chatctl.h"
#include "core/blobs.h"
#include "core/clock.h"
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
  tx.Commit();
  EmptyBlobTrash(a.config, db);
  printf("deleted room %lld (%s) and %d message(s)\n", static_cast<long long>(*id), name.c_str(),
         messages);
  return 0;
}

}  // namespace chat::ctl
