// chatctl audit: the admin_log table (core/audit.h), newest first: every
// action taken with an admin's power on the site and every change made by
// chatctl, with who did it.
#include <cstdio>

#include "chatctl/chatctl.h"
#include "core/validate.h"

namespace chat::ctl {

// chatctl audit [--limit N]
int CmdAudit(Args& a, Db& db) {
  const char* usage = "chatctl audit [--limit N]";
  int64_t limit = 100;
  if (a.rest.size() == 2 && a.rest[0] == "--limit") {
    std::optional<int64_t> n = ParseDecimal(a.rest[1]);
    if (!n || *n <= 0) return Usage(usage);
    limit = *n;
  } else if (!a.rest.empty()) {
    return Usage(usage);
  }
  auto q = db.Prepare(
      "SELECT at, actor, actor_id, action, target, detail FROM admin_log "
      "ORDER BY id DESC LIMIT ?1");
  q.Bind(1, limit);
  printf("%-24s %-20s %-20s %s\n", "when", "who", "action", "target");
  while (q.Step()) {
    std::string who = q.Text(1);
    if (!q.IsNull(2)) who += " (" + std::to_string(q.Int(2)) + ")";
    std::string detail = q.Text(5);
    printf("%-24s %-20s %-20s %s%s\n", When(q.Int(0)).c_str(), who.c_str(), q.Text(3).c_str(),
           q.Text(4).c_str(), detail.empty() ? "" : (": " + detail).c_str());
  }
  return 0;
}

}  // namespace chat::ctl
