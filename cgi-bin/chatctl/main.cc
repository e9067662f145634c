// chatctl's entry point: global options, the command table, --help, and the
// one place that turns an unexpected exception into exit status 1.
//
//   chatctl [--db PATH] COMMAND [SUBCOMMAND] [ARGS] [--help]
#include <sodium.h>

#include <cstdio>
#include <cstring>
#include <iostream>

#include "chatctl/chatctl.h"
#include "core/migrate.h"

namespace chat::ctl {
namespace {

struct Command {
  const char* name;  // "user add"
  const char* usage;
  const char* help;
  int (*plain)(Args&);         // commands that open (or make) the database themselves
  int (*with_db)(Args&, Db&);  // commands run on the opened, up-to-date database
};

const Command kCommands[] = {
    {"init", "chatctl init",
     "Creates the database (schema at the newest version) and the session secret\n"
     "beside it (mode 0600) when they are missing; an existing database is\n"
     "migrated. Safe to run again.",
     CmdInit, nullptr},
    {"migrate", "chatctl migrate",
     "Applies the migrations the database lacks, in order, after copying it to\n"
     "<db>.before-vN (online backup). Refuses a database newer than this tool.",
     CmdMigrate, nullptr},
    {"user add", "chatctl user add USERNAME",
     "Creates an account. The password is read from stdin (asked for without\n"
     "echo on a terminal); 8 to 1024 bytes.",
     nullptr, CmdUserAdd},
    {"user list", "chatctl user list", "Lists accounts: id, name, created, state, live sessions.",
     nullptr, CmdUserList},
    {"user reset-password", "chatctl user reset-password USERNAME",
     "Sets a new password (read from stdin) and ends every session of the account.", nullptr,
     CmdUserResetPassword},
    {"user disable", "chatctl user disable USERNAME",
     "Disables an account: it cannot log in and its sessions end at once. Its\n"
     "messages and rooms stay.",
     nullptr, CmdUserDisable},
    {"user enable", "chatctl user enable USERNAME", "Lets a disabled account log in again.",
     nullptr, CmdUserEnable},
    {"user admin", "chatctl user admin USERNAME on|off",
     "Makes an account an admin, or no longer one. An admin may delete any\n"
     "room and any message, and disable or enable accounts on the admin page\n"
     "(/admin); what admins do is in `chatctl audit`.",
     nullptr, CmdUserAdmin},
    {"user delete", "chatctl user delete USERNAME",
     "Deletes an account with its sessions, its messages and the rooms it owns\n"
     "(with their messages). Cannot be undone except from a backup.",
     nullptr, CmdUserDelete},
    {"room list", "chatctl room list",
     "Lists rooms, deleted ones too: id, name, owner, members, messages, state.", nullptr,
     CmdRoomList},
    {"room delete", "chatctl room delete ID",
     "Deletes a room and its messages, as its owner would: anyone inside is told\n"
     "it was deleted.",
     nullptr, CmdRoomDelete},
    {"room export", "chatctl room export ROOM --format jsonl|html [--out FILE]",
     "Writes a room's whole history (ROOM: its id or name) as GET\n"
     "/api/rooms/{id}/export does, byte for byte: JSON Lines or a self-contained\n"
     "HTML page, to stdout or to FILE (made new, mode 0600). Logged in the audit log.",
     nullptr, CmdRoomExport},
    {"prune", "chatctl prune",
     "Deletes for good every message older than its room's retention (set by the\n"
     "room's owner), in batches of CHAT_PRUNE_BATCH. For a daily timer.",
     nullptr, CmdPrune},
    {"audit", "chatctl audit [--limit N]",
     "Shows the audit log, newest first (100 lines unless --limit): what admins\n"
     "did on the site and what chatctl changed, with who did it.",
     nullptr, CmdAudit},
    {"backup", "chatctl backup FILE",
     "Copies the database to FILE while the chat runs (SQLite's online backup:\n"
     "one consistent snapshot), then checks the copy's integrity, and the files it\n"
     "names to FILE.files/ (hard links when on the same file system). FILE must not exist.",
     nullptr, CmdBackup},
    {"restore", "chatctl restore FILE",
     "Replaces the database's content with FILE (checked first; migrated when\n"
     "older) and its files with FILE.files/. Stop the workers first; sessions made\n"
     "after the backup end.",
     CmdRestore, nullptr},
    {"files sweep", "chatctl files sweep",
     "Removes uploads never posted within CHAT_FILE_UNPOSTED_MINUTES, files on disk\n"
     "that no row names (what `chatctl check` calls orphans) and temporary files\n"
     "of uploads cut off over an hour ago. Safe while the chat runs; a retention\n"
     "job that deletes messages runs it after.",
     nullptr, CmdFilesSweep},
    {"stats", "chatctl stats",
     "Counts users, rooms, messages and sessions; database and WAL sizes.", nullptr, CmdStats},
    {"check", "chatctl check",
     "Integrity and foreign-key check, schema version, journal mode and the\n"
     "secret file (32 bytes, mode 0600), files named but missing and files on disk\n"
     "nobody names. Exits 1 when anything is wrong.",
     CmdCheck, nullptr},
    {"search-reindex", "chatctl search-reindex",
     "Rebuilds the search index (messages_fts) from the messages in one\n"
     "transaction (`chatctl check` says when it is needed). Searches keep\n"
     "working meanwhile: they read the old index until it commits.",
     nullptr, CmdSearchReindex},
    {"secret rotate", "chatctl secret rotate",
     "Replaces the session secret and ends every session (everyone logs in\n"
     "again). Running workers use the new secret from their next request.",
     nullptr, CmdSecretRotate},
};

void PrintHelp(FILE* out) {
  fprintf(out,
          "chatctl: look after a Chatroom database.\n\n"
          "usage: chatctl [--db PATH] COMMAND [ARGS] [--help]\n\n"
          "The database is --db, else $CHAT_DB, else /var/lib/chatroom/chat.db; the\n"
          "secret is $CHAT_SECRET_FILE, else <db>.secret. Run it as the user the\n"
          "workers run as (runuser -u chatroom -- chatctl ...). Commands:\n\n");
  for (const Command& c : kCommands) fprintf(out, "  %s\n", c.usage);
  fprintf(out,
          "\n`chatctl COMMAND --help` explains one. Exit status: 0 done, 1 failed, 2 usage.\n");
}

bool IsHelp(const std::string& s) { return s == "--help" || s == "-h" || s == "help"; }

int Run(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  std::string db_flag;
  while (!words.empty() && words[0].rfind("--db", 0) == 0) {
    if (words[0] == "--db" && words.size() >= 2) {
      db_flag = words[1];
      words.erase(words.begin(), words.begin() + 2);
    } else if (words[0].rfind("--db=", 0) == 0) {
      db_flag = words[0].substr(5);
      words.erase(words.begin());
    } else {
      return Usage("chatctl [--db PATH] COMMAND ...");
    }
  }
  if (words.empty() || IsHelp(words[0])) {
    PrintHelp(words.empty() ? stderr : stdout);
    return words.empty() ? 2 : 0;
  }
  // The longest command name that the words start with ("user add" before "user").
  const Command* found = nullptr;
  size_t used = 0;
  for (const Command& c : kCommands) {
    std::vector<std::string> parts;
    for (const char* p = c.name; *p;) {
      const char* sp = strchr(p, ' ');
      parts.emplace_back(p, sp ? sp - p : strlen(p));
      p = sp ? sp + 1 : p + strlen(p);
    }
    if (parts.size() <= words.size() && std::equal(parts.begin(), parts.end(), words.begin())) {
      found = &c;
      used = parts.size();
    }
  }
  if (found == nullptr) {
    std::string group = words[0];
    bool known_group = false;
    for (const Command& c : kCommands) {
      if (group + " " == std::string(c.name).substr(0, group.size() + 1)) {
        if (!known_group) fprintf(stderr, "chatctl %s: say what to do:\n", group.c_str());
        known_group = true;
        fprintf(stderr, "  %s\n", c.usage);
      }
    }
    if (!known_group) {
      fprintf(stderr, "chatctl: unknown command \"%s\"; `chatctl --help` lists them.\n",
              words[0].c_str());
    }
    return 2;
  }
  Args args;
  args.rest.assign(words.begin() + used, words.end());
  for (const std::string& w : args.rest) {
    if (IsHelp(w)) {
      printf("usage: %s\n\n%s\n", found->usage, found->help);
      return 0;
    }
  }
  if (!db_flag.empty()) setenv("CHAT_DB", db_flag.c_str(), 1);
  if (getenv("CHAT_DB") == nullptr || *getenv("CHAT_DB") == '\0') {
    setenv("CHAT_DB", "/var/lib/chatroom/chat.db", 1);
  }
  args.config = LoadConfig();
  if (found->plain) return found->plain(args);
  std::unique_ptr<Db> db = OpenDb(args.config);
  if (!db) return 1;
  return found->with_db(args, *db);
}

}  // namespace

int Fail(const std::string& message) {
  fprintf(stderr, "chatctl: %s\n", message.c_str());
  return 1;
}

int Usage(const char* usage) {
  fprintf(stderr, "usage: %s\n", usage);
  return 2;
}

}  // namespace chat::ctl

int main(int argc, char** argv) {
  if (sodium_init() < 0) return chat::ctl::Fail("libsodium failed to start");
  try {
    return chat::ctl::Run(argc, argv);
  } catch (const std::exception& e) {
    return chat::ctl::Fail(e.what());
  }
}
