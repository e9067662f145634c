// chatctl prune: deletes every message older than its room's retention
// (core/retention.h), batch after batch of CHAT_PRUNE_BATCH rows, each its
// own short write transaction, so the chat keeps answering while it runs.
// Meant for a timer (conf/deploy/chatroom-prune.timer, README "Retention");
// the workers prune in the same batches between requests anyway, so the
// timer only makes it certain on a quiet server.
#include <cstdio>
#include <map>

#include "chatctl/chatctl.h"
#include "core/audit.h"
#include "core/blobs.h"
#include "core/clock.h"
#include "core/retention.h"

namespace chat::ctl {

// chatctl prune
int CmdPrune(Args& a, Db& db) {
  if (!a.rest.empty()) return Usage("chatctl prune");
  const int64_t now = NowMs();  // one cutoff for the whole run: it ends
  std::map<int64_t, int> per_room;
  int total = 0;
  for (;;) {
    int batch = 0;
    for (const Pruned& p : PruneBatch(db, now, a.config.prune_batch)) {
      per_room[p.room_id] += p.count;
      batch += p.count;
    }
    total += batch;
    if (batch == 0) break;
  }
  if (total > 0) EmptyBlobTrash(a.config, db);  // the pruned messages' files (core/blobs.h)
  for (const auto& [room, count] : per_room) {
    printf("room %lld: deleted %d message(s)\n", static_cast<long long>(room), count);
  }
  printf("pruned %d message(s)\n", total);
  if (total > 0) {
    Transaction tx(db);
    const AuditEntry audit = ChatctlAction("prune", std::to_string(per_room.size()) + " room(s)",
                                           std::to_string(total) + " message(s) deleted");
    RecordAudit(db, audit);
    tx.Commit();
    LogAudit("chatctl", audit);
  }
  return 0;
}

}  // namespace chat::ctl
