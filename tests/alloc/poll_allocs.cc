// How many heap allocations one empty poll makes (issue 17: "the empty poll
// allocates nothing it can avoid"). The poll program's route table and
// serve.cc's Handle (the whole per-request path: the CGI variables, cgicc,
// the dispatcher, the session and membership checks, the handler, the reply
// and the log line) are compiled into this file, over a real database; only
// the FastCGI socket is replaced by a string. malloc, calloc and realloc are
// interposed here (glibc lets a program define them) and counted while one
// request runs, after a few requests have filled the statement cache. A
// binary of its own, not part of unit_tests: it includes serve.cc, and the
// sanitizer build has its own allocator (so `make test-unit` runs it from the
// plain build only).
#define main poll_main
#include "../../cgi-bin/poll.cpp"
#undef main
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include "../../cgi-bin/core/serve.cc"
#include "core/clock.h"
#include "core/migrate.h"
#include "core/session.h"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void __libc_free(void*);
}

namespace {
bool counting = false;
long allocations = 0;
}  // namespace

extern "C" void* malloc(size_t n) {
  if (counting) ++allocations;
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t n, size_t size) {
  if (counting) ++allocations;
  return __libc_calloc(n, size);
}
extern "C" void* realloc(void* p, size_t n) {
  if (counting) ++allocations;
  return __libc_realloc(p, n);
}
extern "C" void free(void* p) { __libc_free(p); }

namespace chat {
namespace {

// The byte source RequestInput reads a body from: none for a GET.
size_t NoBody(void*, char*, size_t) { return 0; }

class PollAllocs : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    char dir[] = "/tmp/chat-allocs-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    config_.db_path = dir_ + "/chat.db";
    config_.synchronous = "NORMAL";
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(config_.db_path.c_str(), &raw), SQLITE_OK);
    sqlite3_close(raw);
    db_ = Db::Open(config_);
    ASSERT_TRUE(Upgrade(*db_, [](const std::string&) {}).ok());
    key_.fill(0x42);
    db_->Exec(
        "INSERT INTO users (id, username, username_key, password_hash, created_at) "
        "VALUES (1, 'ann', 'ann', 'x', 0)");
    db_->Exec(
        "INSERT INTO rooms (id, name, name_key, owner_id, created_at) VALUES (1, 'R', 'r', 1, 0)");
    db_->Exec("UPDATE users SET room_id = 1 WHERE id = 1");
    for (int i = 0; i < 5; ++i) {
      db_->Exec("INSERT INTO messages (room_id, user_id, text, created_at) VALUES (1, 1, 'hi', 0)");
    }
    db_->Exec("BEGIN IMMEDIATE");
    cookie_ =
        CreateSession(*db_, key_, 1, NowMs(), config_.session_idle_ms, config_.session_ttl_ms);
    db_->Exec("COMMIT");
  }
  void TearDown() override {
    db_.reset();
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }

  // One poll through Handle, as nginx would send it (conf/fastcgi-params.conf
  // passes some 30 variables; these are the ones a poll has).
  std::string Poll(const std::string& after) {
    std::vector<std::string> vars = {
        "QUERY_STRING=after=" + after,
        "REQUEST_METHOD=GET",
        "CONTENT_TYPE=",
        "CONTENT_LENGTH=",
        "SCRIPT_NAME=/api/rooms/1/messages",
        "REQUEST_URI=/api/rooms/1/messages?after=" + after,
        "DOCUMENT_URI=/api/rooms/1/messages",
        "DOCUMENT_ROOT=/srv/chat/htdocs",
        "SERVER_PROTOCOL=HTTP/1.1",
        "REQUEST_SCHEME=http",
        "GATEWAY_INTERFACE=CGI/1.1",
        "SERVER_SOFTWARE=nginx",
        "REMOTE_ADDR=127.0.0.1",
        "REMOTE_PORT=50000",
        "SERVER_ADDR=127.0.0.1",
        "SERVER_PORT=8080",
        "SERVER_NAME=localhost",
        "HTTP_HOST=127.0.0.1:8080",
        "HTTP_USER_AGENT=Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0",
        "HTTP_ACCEPT=*/*",
        "HTTP_ACCEPT_LANGUAGE=en",
        "HTTP_ACCEPT_ENCODING=gzip, deflate",
        "HTTP_REFERER=http://127.0.0.1:8080/rooms/1",
        "HTTP_SEC_FETCH_SITE=same-origin",
        "HTTP_SEC_FETCH_MODE=cors",
        "HTTP_COOKIE=chat_device=abc; " + std::string(kSessionCookie) + "=" + cookie_,
        "HTTP_CONNECTION=keep-alive",
    };
    std::vector<char*> envp;
    for (std::string& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    RequestInput in(envp.data(), NoBody, nullptr);
    reply_.clear();
    reply_.reserve(4096);
    int saved = dup(2);  // the log line goes to /dev/null, not the test's output
    FILE* null = fopen("/dev/null", "w");
    dup2(fileno(null), 2);
    {
      counting = true;
      allocations = 0;
      Handle("poll", kRoutes, config_, key_, *db_, in, out_);
      counting = false;
    }
    dup2(saved, 2);
    close(saved);
    fclose(null);
    return reply_;
  }

  std::string dir_;
  Config config_;
  SessionKey key_{};
  std::unique_ptr<Db> db_;
  std::string cookie_;
  std::string reply_;
  Writer out_ = [this](const std::string& s) { reply_ += s; };
};

// 53 on 2026-11-30 (57 before issue 17: cgicc read the whole environment,
// and the writer its ostringstream; 54 with issue 14's attention block);
// SQLite's statements make 11 of them, jsoncpp's answer tree 12, cgicc 13.
constexpr long kMaxAllocations = 55;

TEST_F(PollAllocs, AnEmptyPollAllocatesLittle) {
  for (int i = 0; i < 3; ++i) Poll("5");  // statements prepared, caches warm
  std::string reply = Poll("5");
  ASSERT_EQ(reply.rfind("Status: 200 OK\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("\r\n\r\n{\"cursor\":5,\"messages\":[],\"more\":false}"), std::string::npos)
      << reply;
  long empty = allocations;
  Poll("4");
  long one = allocations;
  printf("heap allocations: empty poll %ld, poll with one message %ld\n", empty, one);
  EXPECT_LE(empty, kMaxAllocations) << "an empty poll allocated more than before";
}

}  // namespace
}  // namespace chat
