// See audit.h.
#include "audit.h"

#include "clock.h"
#include "log.h"

namespace chat {

AuditEntry ChatctlAction(const std::string& action, const std::string& target,
                         const std::string& detail) {
  return AuditEntry{0, "chatctl", action, target, detail};
}

void RecordAudit(Db& db, const AuditEntry& e) {
  auto q = db.Prepare(
      "INSERT INTO admin_log (at, actor_id, actor, action, target, detail) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  q.Bind(1, NowMs());
  if (e.actor_id != 0) q.Bind(2, e.actor_id);
  q.Bind(3, e.actor).Bind(4, e.action).Bind(5, e.target).Bind(6, e.detail).Run();
}

void LogAudit(const char* program, const AuditEntry& e) {
  // LogLine escapes the text (names are user input: CWE-117).
  LogLine(program, "audit: " + e.actor +
                       (e.actor_id ? " (user " + std::to_string(e.actor_id) + ")" : "") + " " +
                       e.action + " " + e.target + (e.detail.empty() ? "" : ": " + e.detail));
}

std::string Named(const char* what, int64_t id, const std::string& name) {
  return std::string(what) + " " + std::to_string(id) + (name.empty() ? "" : " (" + name + ")");
}

}  // namespace chat
