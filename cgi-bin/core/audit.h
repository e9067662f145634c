// The admin's audit log (issue 13: "everything an admin does is logged with
// who did it"). Every action taken with an admin's power (deleting someone
// else's room or message, disabling or enabling an account) and every change
// chatctl makes is one admin_log row, written in the same transaction as the
// action (so the log holds exactly what was committed), and one log line
// after the commit, for whoever reads the programs' logs (journald). OWASP's
// Logging Cheat Sheet: log who did what to what and when, for
// administrative actions above all. Read it with `chatctl audit`.
#pragma once

#include <cstdint>
#include <string>

#include "db.h"

namespace chat {

struct AuditEntry {
  int64_t actor_id = 0;  // the admin's user id; 0 for chatctl
  std::string actor;     // the admin's username, or "chatctl"
  std::string action;    // "room_delete", "message_delete", "user_disable" ...
  std::string target;    // "room 3 (General)", "user 7 (bob)", "message 41 in room 3"
  std::string detail;    // anything more; may be empty
};

// chatctl's entries: actor "chatctl", no user id.
AuditEntry ChatctlAction(const std::string& action, const std::string& target,
                         const std::string& detail = "");

// Inside the acting write transaction: stores the entry (at NowMs()).
void RecordAudit(Db& db, const AuditEntry& e);
// After the commit: the entry as one line of `program`'s log.
void LogAudit(const char* program, const AuditEntry& e);

// "user 7 (bob)", "room 3 (General)": how targets are named.
std::string Named(const char* what, int64_t id, const std::string& name);

}  // namespace chat
