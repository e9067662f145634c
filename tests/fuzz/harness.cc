// See harness.h. serve.cc is compiled into this file (not linked as an
// object) so the targets can call its Handle, the exact per-request path of
// the programs; log.cc is replaced by the silent versions below, since one
// log line per fuzz input would drown libFuzzer's own output.
#include "harness.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "../../cgi-bin/core/serve.cc"
#include "core/clock.h"
#include "core/log.h"

namespace chat {

void LogRequest(const char*, const std::string&, const std::string&, int, double, int64_t) {}
void LogLine(const char*, const std::string&) {}

namespace fuzz {
namespace {

// The request's CGI variables as FastCGI hands them over ("NAME=value"
// strings), and its body, for serve.cc's RequestInput.
class Input {
 public:
  Input(const std::map<std::string, std::string>& env, const std::string& body) : body_(body) {
    for (const auto& [name, value] : env) vars_.push_back(name + "=" + value);
    for (std::string& v : vars_) envp_.push_back(v.data());
    envp_.push_back(nullptr);
  }
  char** envp() { return envp_.data(); }
  static size_t Read(void* self, char* data, size_t length) {
    auto* in = static_cast<Input*>(self);
    size_t n = std::min(length, in->body_.size() - in->pos_);
    std::copy_n(in->body_.data() + in->pos_, n, data);
    in->pos_ += n;
    return n;
  }

 private:
  std::vector<std::string> vars_;
  std::vector<char*> envp_;
  const std::string& body_;
  size_t pos_ = 0;
};

struct World {
  Config config;
  SessionKey key{};
  std::unique_ptr<Db> db;
  std::string cookie;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  Require(in.good(), "cannot read", path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

World* MakeWorld() {
  Require(sodium_init() >= 0, "sodium_init");
  // CHAT_FUZZ_TMP (set by the Makefile to a folder under build/fuzz/ that
  // it empties before each run) holds the database; else /tmp.
  const char* tmp = getenv("CHAT_FUZZ_TMP");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/chat-fuzz-XXXXXX";
  Require(mkdtemp(dir.data()) != nullptr, "mkdtemp");
  std::string path = dir + "/chat.db";
  sqlite3* raw = nullptr;
  Require(sqlite3_open(path.c_str(), &raw) == SQLITE_OK, "open", path);
  const char* schema = getenv("CHAT_SCHEMA");
  std::string sql = ReadFile(schema ? schema : "sql/schema.sql");
  Require(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK, "schema",
          sqlite3_errmsg(raw));
  sqlite3_close(raw);
  setenv("CHAT_DB", path.c_str(), 1);
  setenv("CHAT_SYNCHRONOUS", "NORMAL", 1);
  setenv("CHAT_POST_BURST", "1000000000", 1);
  auto* w = new World;
  w->config = LoadConfig();
  w->key.fill(0x42);
  w->db = Db::Open(w->config);
  Token token{};
  token.fill(0x42);
  w->cookie = std::string(kSessionCookie) + "=" + SignToken(token, w->key);
  // A hash of a password nobody knows: the fuzz user cannot be logged into.
  w->db->Exec(
      "INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES (1, "
      "'fuzzer', 'fuzzer', '$s1$0f0803$stgzWGrbp1d5UFYF3+0M1w==$c2OwcYd4Gq8yYsu0ibchJn/"
      "pMgD6c42zoPnE08OWv3Oy2B6VA/IxsUDo15XiM+YI3UcLPeU/nbdjoNZLy8E6ow==', 0)");
  w->db->Exec(
      "INSERT INTO rooms (id, name, name_key, owner_id, created_at) VALUES (1, 'Fuzz', 'fuzz', 1, "
      "0)");
  return w;
}

World& TheWorld() {
  static World* w = MakeWorld();
  return *w;
}

// Puts back what an input may have undone: the session (logout, password
// change), the room (delete) and the membership (leave, join elsewhere).
void Restore(World& w) {
  Token token{};
  token.fill(0x42);
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, token.data(), token.size(), nullptr, 0);
  w.db->Prepare(
          "INSERT OR REPLACE INTO sessions (token_hash, user_id, created_at, expires_at) "
          "VALUES (?1, 1, ?2, ?3)")
      .BindBlob(1, hash, sizeof hash)
      .Bind(2, NowMs())
      .Bind(3, NowMs() + 3600 * 1000)
      .Run();
  w.db->Exec("UPDATE rooms SET deleted_at = NULL WHERE id = 1 AND deleted_at IS NOT NULL");
  w.db->Exec("UPDATE users SET room_id = 1 WHERE id = 1 AND room_id IS NOT 1");
}

}  // namespace

void SeedMessages(int count) {
  World& w = TheWorld();
  w.db->Exec(
      "INSERT OR IGNORE INTO rooms (id, name, name_key, owner_id, created_at) VALUES (2, 'Other', "
      "'other', 1, 0)");
  w.db->Exec("BEGIN");
  for (int i = 0; i < count; ++i) {
    w.db->Prepare(
            "INSERT INTO messages (room_id, user_id, text, created_at) VALUES (?1, 1, ?2, ?3)")
        .Bind(1, i % 2 == 0 ? kRoomId : kOtherRoomId)
        .Bind(2, "seed " + std::to_string(i))
        .Bind(3, static_cast<int64_t>(i))
        .Run();
  }
  w.db->Exec("COMMIT");
}

Property::Property(const char* name) : name_(name) {}

Property::~Property() { fprintf(stderr, "fuzz property %s: reached %ld times\n", name_, count_); }

void Require(bool ok, const char* what, const std::string& detail) {
  if (ok) return;
  fprintf(stderr, "FUZZ CHECK FAILED: %s %s\n", what, detail.substr(0, 2000).c_str());
  abort();
}

std::string Cookie() { return TheWorld().cookie; }

Reply Run(const char* program, const std::vector<Route>& routes,
          const std::map<std::string, std::string>& env, const std::string& body) {
  World& w = TheWorld();
  Restore(w);
  Input source(env, body);
  RequestInput in(source.envp(), Input::Read, &source);
  std::string out;
  Handle(program, routes, w.config, w.key, *w.db, in, [&out](const std::string& s) { out += s; });
  Reply r;
  size_t end = out.find("\r\n\r\n");
  Require(out.rfind("Status: ", 0) == 0 && end != std::string::npos, "reply head", out);
  r.status = std::atoi(out.c_str() + 8);
  r.head = out.substr(0, end);
  r.body = out.substr(end + 4);
  Require(sqlite3_get_autocommit(w.db->raw()) != 0, "a transaction was left open after", program);
  return r;
}

void CheckReply(const Reply& r, const std::string& input) {
  std::string what = std::to_string(r.status) + " " + r.body + "\nfor input: " + input;
  Require(r.status >= 200 && r.status < 500, "status", what);
  if (r.status == 204 || r.body.empty()) {
    Require(r.body.empty(), "204 with a body", what);
    return;
  }
  Json::Value v;
  std::string errors;
  Json::CharReaderBuilder b;
  std::unique_ptr<Json::CharReader> reader(b.newCharReader());
  Require(reader->parse(r.body.data(), r.body.data() + r.body.size(), &v, &errors) && v.isObject(),
          "reply is not a JSON object", what);
  if (r.status >= 400) {
    Require(v["error"]["code"].isString() && !v["error"]["code"].asString().empty() &&
                v["error"]["message"].isString(),
            "error shape", what);
  }
}

}  // namespace fuzz
}  // namespace chat
