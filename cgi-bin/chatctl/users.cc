// chatctl user ...: accounts. Passwords are hashed with the programs' own
// scrypt parameters and checked against the API's rules; every change that
// should lock a person out (reset, disable, delete) ends their sessions in
// the same transaction, so an old cookie stops working at once, and then
// closes their open event streams (core/streams.h; with CHAT_PUSH_SOCKET set
// as for the workers, e.g. from /etc/chatroom/chatroom.env).
#include "core/users.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "chatctl/chatctl.h"
#include "core/audit.h"
#include "core/blobs.h"
#include "core/clock.h"
#include "core/password.h"
#include "core/streams.h"
#include "core/validate.h"

namespace chat::ctl {
namespace {

// The account's id by name (any case), or 0 after printing that there is none.
int64_t FindUser(Db& db, const std::string& name) {
  auto q = db.Prepare("SELECT id FROM users WHERE username_key = ?1");
  if (q.Bind(1, FoldCase(name)).Step()) return q.Int(0);
  Fail("no user \"" + name + "\" (`chatctl user list` shows them)");
  return 0;
}

int EndSessions(Db& db, int64_t user_id) {
  db.Prepare("DELETE FROM sessions WHERE user_id = ?1").Bind(1, user_id).Run();
  return db.Changes();
}

}  // namespace

std::string When(int64_t ms) { return ms == 0 ? "-" : FormatTime(ms); }

std::string ReadNewPassword() {
  bool tty = isatty(STDIN_FILENO);
  struct termios old {};
  if (tty) {
    fprintf(stderr, "New password: ");
    tcgetattr(STDIN_FILENO, &old);
    struct termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string password;
  bool got = static_cast<bool>(std::getline(std::cin, password));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    fprintf(stderr, "\n");
  }
  if (!got) {
    Fail("no password on stdin");
    return "";
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (!IsValidPassword(password)) {
    Fail("passwords are 8 to 1024 bytes, without NUL");
    return "";
  }
  return password;
}

// chatctl user add USERNAME
int CmdUserAdd(Args& a, Db& db) {
  if (a.rest.size() != 1) return Usage("chatctl user add USERNAME");
  const std::string& name = a.rest[0];
  if (!IsValidUsername(name)) return Fail("usernames are 3 to 32 of A-Z a-z 0-9 _ . -");
  std::string password = ReadNewPassword();
  if (password.empty()) return 1;
  std::optional<std::string> hash = HashPassword(password);
  if (!hash) return Fail("hashing the password failed");
  Transaction tx(db);
  std::optional<int64_t> added = InsertUser(db, name, *hash);
  if (!added) return Fail("the username \"" + name + "\" is taken");
  int64_t id = *added;
  const AuditEntry audit = ChatctlAction("user_add", Named("user", id, name));
  RecordAudit(db, audit);
  tx.Commit();
  LogAudit("chatctl", audit);
  printf("added user %s (id %lld)\n", name.c_str(), static_cast<long long>(id));
  return 0;
}

// chatctl user list
int CmdUserList(Args& a, Db& db) {
  if (!a.rest.empty()) return Usage("chatctl user list");
  auto q = db.Prepare(
      "SELECT u.id, u.username, u.created_at, u.disabled_at, "
      "(SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at > ?1) "
      "FROM users u ORDER BY u.id");
  q.Bind(1, NowMs());
  printf("%-6s %-32s %-24s %-8s %s\n", "id", "username", "created", "state", "sessions");
  while (q.Step()) {
    printf("%-6lld %-32s %-24s %-8s %lld\n", static_cast<long long>(q.Int(0)), q.Text(1).c_str(),
           When(q.Int(2)).c_str(), q.IsNull(3) ? "active" : "disabled",
           static_cast<long long>(q.Int(4)));
  }
  return 0;
}

// chatctl user reset-password USERNAME
int CmdUserResetPassword(Args& a, Db& db) {
  if (a.rest.size() != 1) return Usage("chatctl user reset-password USERNAME");
  int64_t id = FindUser(db, a.rest[0]);
  if (id == 0) return 1;
  std::string password = ReadNewPassword();
  if (password.empty()) return 1;
  std::optional<std::string> hash = HashPassword(password);
  if (!hash) return Fail("hashing the password failed");
  Transaction tx(db);
  std::vector<StreamId> streams = StreamsToRevoke(db, AllStreams(id));
  db.Prepare("UPDATE users SET password_hash = ?2 WHERE id = ?1").Bind(1, id).Bind(2, *hash).Run();
  // Deleted while the new password was being hashed: say so, change nothing.
  if (db.Changes() != 1) return Fail("no user \"" + a.rest[0] + "\" any more");
  // A login that checked the old password and has not yet made its session
  // finds a new hash and fails (core/users.h AccountUnchanged).
  int ended = EndSessions(db, id);
  const AuditEntry audit = ChatctlAction("user_reset_password", Named("user", id, a.rest[0]),
                                         std::to_string(ended) + " session(s) ended");
  RecordAudit(db, audit);
  tx.Commit();
  LogAudit("chatctl", audit);
  RevokeStreams(a.config, "chatctl", streams);
  printf("new password for %s; %d session(s) ended\n", a.rest[0].c_str(), ended);
  return 0;
}

// chatctl user disable USERNAME
// chatctl user enable USERNAME
// Both through core/users.h SetDisabled, as the admin page's route does.
int CmdUserDisable(Args& a, Db& db) {
  if (a.rest.size() != 1) return Usage("chatctl user disable USERNAME");
  Transaction tx(db);
  int64_t id = FindUser(db, a.rest[0]);
  if (id == 0) return 1;
  DisableResult done = SetDisabled(db, id, true, NowMs());
  const AuditEntry audit = ChatctlAction("user_disable", Named("user", id, a.rest[0]),
                                         std::to_string(done.sessions_ended) + " session(s) ended");
  RecordAudit(db, audit);
  tx.Commit();
  LogAudit("chatctl", audit);
  RevokeStreams(a.config, "chatctl", done.streams);
  printf("disabled %s; %d session(s) ended\n", a.rest[0].c_str(), done.sessions_ended);
  return 0;
}

int CmdUserEnable(Args& a, Db& db) {
  if (a.rest.size() != 1) return Usage("chatctl user enable USERNAME");
  Transaction tx(db);
  int64_t id = FindUser(db, a.rest[0]);
  if (id == 0) return 1;
  SetDisabled(db, id, false, NowMs());
  const AuditEntry audit = ChatctlAction("user_enable", Named("user", id, a.rest[0]));
  RecordAudit(db, audit);
  tx.Commit();
  LogAudit("chatctl", audit);
  printf("enabled %s\n", a.rest[0].c_str());
  return 0;
}

// chatctl user admin USERNAME on|off
// An admin may delete any room and any message, and disable or enable
// accounts on the admin page (/admin); each such action is in the audit log.
int CmdUserAdmin(Args& a, Db& db) {
  const char* usage = "chatctl user admin USERNAME on|off";
  if (a.rest.size() != 2 || (a.rest[1] != "on" && a.rest[1] != "off")) return Usage(usage);
  Transaction tx(db);
  int64_t id = FindUser(db, a.rest[0]);
  if (id == 0) return 1;
  db.Prepare("UPDATE users SET admin = ?2 WHERE id = ?1")
      .Bind(1, id)
      .Bind(2, static_cast<int64_t>(a.rest[1] == "on"))
      .Run();
  const AuditEntry audit = ChatctlAction(a.rest[1] == "on" ? "user_admin_on" : "user_admin_off",
                                         Named("user", id, a.rest[0]));
  RecordAudit(db, audit);
  tx.Commit();
  LogAudit("chatctl", audit);
  printf("%s is %s\n", a.rest[0].c_str(), a.rest[1] == "on" ? "an admin" : "no longer an admin");
  return 0;
}

// chatctl user delete USERNAME
int CmdUserDelete(Args& a, Db& db) {
  if (a.rest.size() != 1) return Usage("chatctl user delete USERNAME");
  Transaction tx(db);
  int64_t id = FindUser(db, a.rest[0]);
  if (id == 0) return 1;
  std::vector<StreamId> streams = StreamsToRevoke(db, AllStreams(id));
  db.Prepare("DELETE FROM messages WHERE user_id = ?1").Bind(1, id).Run();
  int messages = db.Changes();
  // Rooms go whole (their messages by ON DELETE CASCADE, members' room_id
  // by ON DELETE SET NULL); sessions and the post bucket cascade from users.
  db.Prepare("DELETE FROM rooms WHERE owner_id = ?1").Bind(1, id).Run();
  int rooms = db.Changes();
  // Its files went with its messages and rooms, and its unposted uploads
  // with the account (ON DELETE CASCADE); the bytes once no row names them.
  db.Prepare("DELETE FROM users WHERE id = ?1").Bind(1, id).Run();
  const AuditEntry audit = ChatctlAction(
      "user_delete", Named("user", id, a.rest[0]),
      std::to_string(messages) + " message(s), " + std::to_string(rooms) + " room(s)");
  RecordAudit(db, audit);
  tx.Commit();
  LogAudit("chatctl", audit);
  EmptyBlobTrash(a.config, db);
  RevokeStreams(a.config, "chatctl", streams);
  printf("deleted user %s with %d message(s) and %d room(s)\n", a.rest[0].c_str(), messages, rooms);
  return 0;
}

}  // namespace chat::ctl
