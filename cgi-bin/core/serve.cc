// The accept loop (http.h's Serve): reads a request through cgicc, from
// libfcgi's streams under a FastCGI server or from the environment and stdin
// as plain CGI, dispatches it, writes the reply and logs one line. This is
// the only place that catches exceptions: a failure of the machine becomes a
// logged 503 with a code (storage.h: busy, storage_full, storage_read_only)
// or 500, never a dead worker.
//
// A worker that cannot start (session key file unusable, database not
// writable or too new) does not exit under FastCGI: a supervisor such as
// multiwatch would restart it at once, thousands of times a minute, with
// requests hanging meanwhile. It logs why, answers every request 503 with
// the reason's code (health included), and tries again at most once a
// second, so it serves as soon as the fault is mended. As plain CGI it
// exits 1 with the reason, which is how conf/run.sh and chatroom-spawn check
// the set-up once before they start the supervisors.
#include <cgicc/CgiEnvironment.h>
#include <cgicc/CgiInput.h>
#include <cgicc/Cgicc.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "device.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "memory.h"
#include "migrate.h"
#include "retention.h"
#include "storage.h"
#include "validate.h"

namespace chat {
namespace {

using Writer = std::function<void(const std::string&)>;

// The request's CGI variables and body, as cgicc and ReadRequest read them.
// The variables this file uses are found in one pass over the environment
// block (FastCGI's params or, as CGI, the process's environ) when the
// request arrives: looking each name up on its own (FCGX_GetParam, getenv)
// is a linear scan of some 40 variables, and cgicc alone asks for 25 names.
// While cgicc builds its environment (`known_only`), a name outside the table
// answers "" without a scan: cgicc reads every CGI/1.1 variable it knows of,
// and nothing here uses those others. Any other name asked for later is
// found by a scan, so a reader that needs one more variable still gets it.
// A multipart/form-data Content-Type as cgicc reads it: it takes
// everything after a lower-case "boundary=" as the boundary, so a quoted
// boundary (RFC 2046 5.1.1 allows, .NET's HttpClient sends) or an
// upper-case parameter name (RFC 2045 5.1: case-insensitive) left no part
// found and a valid upload refused 415. Rebuilt as
// "multipart/form-data; boundary=VALUE", quotes removed; any other type as
// sent.
std::string CanonicalContentType(const char* sent) {
  std::string type = sent == nullptr ? "" : sent;
  if (strncasecmp(type.c_str(), "multipart/form-data", 19) != 0) return type;
  size_t at = 19;
  while (at < type.size()) {
    size_t semi = type.find(';', at);
    size_t end = semi == std::string::npos ? type.size() : semi;
    std::string param = Trim(type.substr(at, end - at));
    at = end + 1;
    if (strncasecmp(param.c_str(), "boundary=", 9) != 0) continue;
    std::string value = param.substr(9);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return "multipart/form-data; boundary=" + value;
  }
  return type;
}

class RequestInput : public cgicc::CgiInput {
 public:
  using Reader = size_t (*)(void* source, char* data, size_t length);
  RequestInput(char** envp, Reader reader, void* source)
      : envp_(envp), reader_(reader), source_(source) {
    for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
      const char* eq = strchr(*e, '=');
      if (eq == nullptr) continue;
      size_t len = static_cast<size_t>(eq - *e);
      for (size_t i = 0; i < kNames.size(); ++i) {
        if (values_[i] == nullptr && strlen(kNames[i]) == len && memcmp(kNames[i], *e, len) == 0) {
          values_[i] = eq + 1;
          break;
        }
      }
    }
    content_type_ = CanonicalContentType(values_[kContentType]);
    if (values_[kContentType] != nullptr) values_[kContentType] = content_type_.c_str();
  }
  size_t read(char* data, size_t length) override { return reader_(source_, data, length); }
  std::string getenv(const char* name) override {
    for (size_t i = 0; i < kNames.size(); ++i) {
      // The second byte tells most names apart ("HTTP_..." share the first
      // five): a full compare only for a likely match.
      if (name[0] != '\0' && kNames[i][1] == name[1] && strcmp(kNames[i], name) == 0) {
        return values_[i] != nullptr ? values_[i] : "";
      }
    }
    if (known_only_) return "";
    size_t len = strlen(name);
    for (char** e = envp_; e != nullptr && *e != nullptr; ++e) {
      if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') return *e + len + 1;
    }
    return "";
  }
  void set_known_only(bool on) { known_only_ = on; }

 private:
  // What ReadRequest, PathOf and cgicc's parse of the query string, cookies
  // and body use; the rest of the 25 cgicc reads are never looked at here.
  static constexpr std::array<const char*, 14> kNames = {
      "REQUEST_METHOD",      "QUERY_STRING", "HTTP_COOKIE", "CONTENT_LENGTH",    "CONTENT_TYPE",
      "DOCUMENT_URI",        "REQUEST_URI",  "HTTPS",       "HTTP_ORIGIN",       "HTTP_HOST",
      "HTTP_SEC_FETCH_SITE", "REMOTE_ADDR",  "HTTP_ACCEPT", "HTTP_LAST_EVENT_ID"};
  static constexpr size_t kContentType = 4;
  std::array<const char*, kNames.size()> values_{};
  std::string content_type_;  // CONTENT_TYPE as cgicc needs it (CanonicalContentType)
  char** envp_;
  Reader reader_;
  void* source_;
  bool known_only_ = false;
};

size_t ReadFcgi(void* source, char* data, size_t length) {
  int n = FCGX_GetStr(data, static_cast<int>(length), static_cast<FCGX_Request*>(source)->in);
  return n < 0 ? 0 : static_cast<size_t>(n);
}

size_t ReadStdin(void*, char* data, size_t length) { return fread(data, 1, length, stdin); }

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 507:
      return "Insufficient Storage";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

std::string PathOf(RequestInput& in) {
  std::string path = in.getenv("DOCUMENT_URI");
  if (path.empty()) {
    path = in.getenv("REQUEST_URI");
    path = path.substr(0, path.find('?'));
  }
  return path;
}

// Fills req from the CGI variables and body; an error when they are unusable.
Status ReadRequest(RequestInput& in, Request& req, const Config& config, bool uploads) {
  req.method = in.getenv("REQUEST_METHOD");
  if (req.method == "HEAD") {
    req.method = "GET";
    req.head = true;
  }
  req.path = PathOf(in);
  std::string https = in.getenv("HTTPS");
  req.https = !https.empty() && https != "off";
  std::string length = in.getenv("CONTENT_LENGTH");
  int64_t body_length = 0;
  if (!length.empty()) {
    std::optional<int64_t> n = ParseDecimal(length);
    if (!n) return Err(400, "invalid_request", "Content-Length is not a number.");
    if (uploads && *n > config.file_max_bytes + static_cast<int64_t>(kMultipartSlack)) {
      return Err(413, "file_too_large", "The file is larger than this server accepts.");
    }
    if (!uploads && *n > static_cast<int64_t>(kMaxBody)) {
      return Err(413, "body_too_large", "The request body is over 64 KiB.");
    }
    body_length = *n;
  }
  try {
    in.set_known_only(true);
    cgicc::Cgicc cgi(&in);
    in.set_known_only(false);
    const cgicc::CgiEnvironment& env = cgi.getEnvironment();
    req.body = env.getPostData();
    // cgicc reads the body of a POST only; any other write's body (DELETE,
    // PATCH, PUT) is read here, so it is checked like a POST's (dispatch.cc).
    if (req.method != "GET" && req.body.empty() && body_length > 0) {
      req.body.resize(static_cast<size_t>(body_length));
      req.body.resize(in.read(req.body.data(), req.body.size()));
    }
    req.content_type = env.getContentType();
    // An upload's parts, parsed by cgicc (multipart/form-data, RFC 7578);
    // the raw body is dropped so the file is held twice at most.
    if (uploads) {
      for (const cgicc::FormFile& f : cgi.getFiles()) {
        req.files.push_back({f.getName(), f.getFilename(), f.getDataType(), f.getData()});
      }
      std::string().swap(req.body);
    }
    for (const cgicc::HTTPCookie& c : env.getCookieList()) {
      if (c.getName() == SessionCookieName(req.https) && req.session_cookie.empty()) {
        req.session_cookie = c.getValue();
      }
      if (c.getName() == DeviceCookieName(req.https) && req.device_cookie.empty()) {
        req.device_cookie = c.getValue();
      }
    }
    // cgicc decodes QUERY_STRING for every method but POST and PUT (whose
    // bodies it would read as a form): GET's parameters, and DELETE's
    // (DELETE /api/messages/{id}/reactions?emoji=...).
    if (req.method == "GET" || req.method == "DELETE") {
      for (const cgicc::FormEntry& e : *cgi) req.query.emplace(e.getName(), e.getValue());
    }
  } catch (const std::exception&) {
    in.set_known_only(false);
    return Err(400, "invalid_request", "The request could not be read.");
  }
  req.origin = in.getenv("HTTP_ORIGIN");
  req.host = in.getenv("HTTP_HOST");
  req.sec_fetch_site = in.getenv("HTTP_SEC_FETCH_SITE");
  req.remote_addr = in.getenv("REMOTE_ADDR");
  req.accept = in.getenv("HTTP_ACCEPT");
  // getenv answers "" for an absent variable too; nginx passes the header
  // only when sent (fastcgi-params.conf: HTTP_LAST_EVENT_ID if_not_empty).
  if (std::string id = in.getenv("HTTP_LAST_EVENT_ID"); !id.empty()) req.last_event_id = id;
  return std::nullopt;
}

// The reply to an exception; *reopen when the database must be opened
// again (it turned read-only under this process, e.g. replaced by a copy).
Response Failure(const char* program, const std::exception& e, bool* reopen) {
  LogLine(program, std::string("error: ") + e.what());
  StorageFault fault = StorageFault::kOther;
  if (auto* db = dynamic_cast<const DbError*>(&e)) fault = FaultOf(*db);
  if (fault == StorageFault::kReadOnly) *reopen = true;
  return Response::Error(FaultError(fault));
}

void Write(const Response& r, bool head_only, const Writer& out) {
  std::string head = "Status: " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
  if (!r.body.empty()) {
    // With a length nginx passes the reply on as is instead of re-framing
    // it in chunks.
    head += "Content-Type: application/json; charset=utf-8\r\nContent-Length: " +
            std::to_string(r.body.size()) + "\r\n";
  }
  // A reply may set its own caching (a file's bytes never change: files.cpp).
  bool own_cache = false;
  for (const auto& h : r.headers) own_cache = own_cache || h.first == "Cache-Control";
  if (!own_cache) head += "Cache-Control: no-store\r\n";
  for (const auto& [name, value] : r.headers) head += name + ": " + value + "\r\n";
  head += "\r\n";
  out(head);
  if (!r.body.empty() && !head_only) out(r.body);
  if (r.stream && !head_only) r.stream(out);
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// Runs a reply's `after` work (http.h Response); never throws.
void RunAfter(const char* program, const std::function<void()>& after) {
  if (!after) return;
  try {
    after();
  } catch (const std::exception& e) {
    LogLine(program, std::string("error after the reply: ") + e.what());
  }
}

// One request, start to finish; never throws. True when the database must
// be opened again before the next one. The reply's `after` work is handed to
// the caller through `later`, to run once the reply has gone; without
// `later` it runs here, after the reply was written.
bool Handle(const char* program, const std::vector<Route>& routes, const Config& config,
            const SessionKey& key, Db& db, RequestInput& in, const Writer& out,
            bool uploads = false, std::function<void()>* later = nullptr) {
  auto start = std::chrono::steady_clock::now();
  Request req;
  Response res;
  bool reopen = false;
  try {
    if (Status s = ReadRequest(in, req, config, uploads)) {
      res = Response::Error(*s);
    } else {
      Context ctx{config, key, db, req};
      res = Dispatch(routes, ctx);
    }
  } catch (const std::exception& e) {
    res = Failure(program, e, &reopen);
  }
  Write(res, req.head, out);
  LogRequest(program, req.head ? "HEAD" : req.method, req.path, res.status, MsSince(start),
             req.user ? req.user->id : 0);
  if (later) {
    *later = std::move(res.after);
  } else {
    RunAfter(program, res.after);
  }
  return reopen;
}

// A request while the worker cannot serve: the reason's 503, read from
// nothing but the method and path (the body is left to libfcgi to discard).
void Refuse(const char* program, const ApiError& why, RequestInput& in, const Writer& out) {
  auto start = std::chrono::steady_clock::now();
  std::string method = in.getenv("REQUEST_METHOD");
  std::string path = PathOf(in);
  ApiError e = why;
  if (path == "/api/health") e.extra["ok"] = false;  // health's own shape (auth.cpp)
  Write(Response::Error(e), method == "HEAD", out);
  LogRequest(program, method, path, e.status, MsSince(start), 0);
}

// CHAT_WORKER_THREADS: how many threads of a worker accept FastCGI
// connections, each with its own key file and SQLite connection (1 to 64; 1
// when unset or not a number). More than one lets nginx keep connections
// open between requests (fastcgi_keep_conn, an upstream keepalive pool;
// conf/run.sh): a kept connection holds its thread while idle, so the
// threads of all workers must outnumber the connections nginx may keep idle.
int AcceptThreads() {
  std::optional<int64_t> n =
      ParseDecimal(std::getenv("CHAT_WORKER_THREADS") ? std::getenv("CHAT_WORKER_THREADS") : "");
  if (!n || *n < 1) return 1;
  return static_cast<int>(std::min<int64_t>(*n, 64));
}

// What a worker needs before it can answer: the session key file and a
// writable database at the schema version it speaks.
struct Backend {
  std::optional<KeyFile> key;
  std::unique_ptr<Db> db;
};

// Why a worker cannot serve: the reply for clients and the line for the log.
struct StartFailure {
  ApiError reply;
  std::string log;
};

// Opens what `b` lacks; nullopt when it is complete.
std::optional<StartFailure> Start(const char* program, const Config& config, Backend& b) {
  if (!b.key) {
    Result<KeyFile> key = KeyFile::Open(config.secret_path);
    if (!key.ok()) {
      ApiError e = Err(503, "secret_invalid",
                       "The server's session key file is unusable; its log says why.");
      e.retry_after = 30;
      return StartFailure{e, key.error().message};
    }
    b.key = std::move(key.value());
  }
  if (!b.db) {
    std::unique_ptr<Db> db;
    try {
      db = Db::Open(config);
    } catch (const DbError& e) {
      ApiError reply = FaultError(FaultOf(e));
      if (reply.status != 503) {
        reply = Err(503, "unavailable", "The database cannot be opened; the server log says why.");
        reply.retry_after = 30;
      }
      return StartFailure{reply, e.what()};
    }
    // A new release migrates the database at its first start; an old binary
    // refuses a database it does not know (migrate.h).
    Result<int> schema = Upgrade(*db, [program](const std::string& s) { LogLine(program, s); });
    if (!schema.ok()) {
      ApiError e = Err(503, "unavailable", "The database is not usable; the server log says why.");
      e.retry_after = 30;
      return StartFailure{e, schema.error().message};
    }
    // Threads share the memory one connection had: SQLite's default page
    // cache (2,000 KiB, https://sqlite.org/pragma.html#pragma_cache_size)
    // divided among them, so more threads do not mean more cache per
    // worker (S6 counts the workers' memory).
    if (int threads = AcceptThreads(); threads > 1) {
      db->Exec(("PRAGMA cache_size=-" + std::to_string(2000 / threads)).c_str());
    }
    b.db = std::move(db);
  }
  return std::nullopt;
}

// How long a request with a body may take to send the empty record that
// ends its stdin, once the worker has answered (ReadStdinToEnd).
constexpr int kStdinEndSeconds = 5;

// A request's FCGI_STDIN stream ends with an empty record (FastCGI 1.0
// specification, 3.3 "Types of record types": a stream is its records
// followed by an empty one), which nginx may write after the body in a
// write of its own (a body sent from its temporary file). The handlers read
// exactly CONTENT_LENGTH bytes (cgicc), so that record could still be on its
// way when the request was finished; on a kept connection
// (fastcgi_keep_conn) libfcgi then read it as the start of the next
// request, took it for a protocol error and closed the connection, and
// nginx answered that next request 502, sent on as 503 unavailable (a POST
// is never retried): one 5 MB upload of `make bench` S12, and
// tests/api/fastcgi-stdin.test.mjs. So the rest of the stream, that record
// included, is read before the request is finished. A request without a
// body is left alone: nginx writes its params and the empty record
// together, and they are read together. SO_RCVTIMEO bounds the wait should
// a web server never send the record: the read fails, and libfcgi closes
// the connection instead of keeping it.
void ReadStdinToEnd(FCGX_Request& fcgi, RequestInput& in) {
  std::string length = in.getenv("CONTENT_LENGTH");
  if (length.empty() || length == "0" || FCGX_HasSeenEOF(fcgi.in) == EOF) return;
  timeval limit{kStdinEndSeconds, 0};
  setsockopt(fcgi.ipcFd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  std::array<char, 16 * 1024> sink;
  while (FCGX_GetStr(sink.data(), static_cast<int>(sink.size()), fcgi.in) > 0) {
  }
  timeval none{0, 0};
  setsockopt(fcgi.ipcFd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
}

// The signal that wakes an accepting thread at shutdown (Serve).
int KickSignal() { return SIGRTMIN + 3; }

// Serves requests until `stopping` (shutdown) or until accept() fails for
// good, with this thread's own key file and database connection. The kick
// is let in only while the thread waits in FCGX_Accept_r (in accept(), or
// reading the next request on a kept connection): a request in progress is
// never interrupted (its reads and writes would fail with EINTR), and a kick
// sent meanwhile stays pending until the thread is back.
// FCGI_FAIL_ACCEPT_ON_INTR: an interrupted accept() returns at once, and
// `stopping` (an atomic of ours) decides, not libfcgi's own shutdown flag,
// a plain int it reads while another thread would write it.
void AcceptLoop(const char* program, const std::vector<Route>& routes, const Config& config,
                Backend& backend, std::optional<StartFailure> failure, bool uploads,
                const std::atomic<bool>& stopping) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_try = Clock::now(), last_log = last_try;
  sigset_t kick;
  sigemptyset(&kick);
  sigaddset(&kick, KickSignal());
  FCGX_Request fcgi;
  FCGX_InitRequest(&fcgi, 0, FCGI_FAIL_ACCEPT_ON_INTR);
  for (;;) {
    pthread_sigmask(SIG_UNBLOCK, &kick, nullptr);  // a pending kick lands here
    int accepted = stopping ? -1 : FCGX_Accept_r(&fcgi);
    pthread_sigmask(SIG_BLOCK, &kick, nullptr);
    if (accepted < 0) {
      if (!stopping && accepted == -EINTR) continue;  // some other signal
      break;
    }
    RequestInput in(fcgi.envp, ReadFcgi, &fcgi);
    Writer out = [&fcgi](const std::string& s) {
      FCGX_PutStr(s.data(), static_cast<int>(s.size()), fcgi.out);
    };
    if (failure && Clock::now() - last_try >= std::chrono::seconds(1)) {
      std::string before = failure->log;
      failure = Start(program, config, backend);
      last_try = Clock::now();
      if (!failure) {
        LogLine(program, "mended, serving again (was: " + before + ")");
      } else if (failure->log != before || last_try - last_log >= std::chrono::minutes(1)) {
        LogLine(program, "still cannot serve: " + failure->log);
        last_log = last_try;
      }
    }
    std::function<void()> later;
    if (failure) {
      Refuse(program, failure->reply, in, out);
    } else if (Handle(program, routes, config, backend.key->Current(), *backend.db, in, out,
                      uploads, &later)) {
      // The key file is looked at for every request (Current()): `chatctl
      // secret rotate` takes effect at once, without restarting the workers.
      backend.db.reset();  // read-only under us: open it afresh, now
      failure = Start(program, config, backend);
      last_try = last_log = Clock::now();
      if (failure) LogLine(program, "cannot serve, answering 503 until mended: " + failure->log);
    }
    ReadStdinToEnd(fcgi, in);
    FCGX_Finish_r(&fcgi);
    // After the reply has gone (Finish flushed it): nobody waits on this.
    RunAfter(program, later);
    if (!failure) MaybePruneBetweenRequests(program, config, *backend.db);
    NoteRequestDone();
  }
  FCGX_Free(&fcgi, 1);  // closes a kept connection: nginx opens another to the next worker
}

}  // namespace

std::optional<std::string> Request::Param(const char* name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

Response Response::Json(int status, const Json::Value& body) {
  Response r;
  r.status = status;
  r.body = ToJson(body);
  return r;
}

Response Response::NoContent() {
  Response r;
  r.status = 204;
  return r;
}

Response Response::Error(const ApiError& e) {
  Response r = Json(e.status, ErrorBody(e));
  if (e.retry_after > 0) r.headers.emplace_back("Retry-After", std::to_string(e.retry_after));
  return r;
}

int Serve(const char* program, const std::vector<Route>& routes, bool uploads,
          Background* background) {
  if (sodium_init() < 0) {
    LogLine(program, "libsodium failed to start");
    return 1;
  }
  Config config = LoadConfig();
  Backend backend;
  std::optional<StartFailure> failure = Start(program, config, backend);
  if (FCGX_IsCGI()) {
    if (failure) {
      LogLine(program, failure->log);
      return 1;
    }
    RequestInput in(environ, ReadStdin, nullptr);
    std::function<void()> later;
    Handle(
        program, routes, config, backend.key->Current(), *backend.db, in,
        [](const std::string& s) { fwrite(s.data(), 1, s.size(), stdout); }, uploads, &later);
    // The reply is whole once stdout is closed (the server reads it to its
    // end): the reply's after-work (a post's rings and mention copy) then
    // runs without the client waiting for it, as under FastCGI.
    fclose(stdout);
    RunAfter(program, later);
    return 0;
  }
  int threads = AcceptThreads();
  LogLine(program, std::string("serving FastCGI, SQLite ") + sqlite3_libversion() + ", db " +
                       config.db_path + ", " + std::to_string(threads) +
                       " accepting thread(s) (CHAT_WORKER_THREADS)");
  LogLine(program, "settings: " + Describe(config));
  if (failure) LogLine(program, "cannot serve, answering 503 until mended: " + failure->log);
  FCGX_Init();
  // Every accepting thread is started here, and this one only waits for the
  // signal to stop: SIGTERM (systemd), SIGUSR1 (multiwatch) or SIGINT. They
  // are blocked before any other thread exists, so every thread inherits
  // the mask (the accepting ones and those started later: libvips' workers,
  // the coalescer's, the stream repeater's) and sigwait() below is the only
  // place they land. Before, the first thread took SIGTERM through libfcgi's
  // handler while also serving: a stop that came during one of its requests
  // left it reading the next request on its kept connection, never waking
  // the others, and the worker did not end until nginx dropped that
  // connection (tests/api/worker-threads.test.mjs).
  struct sigaction kick {};
  kick.sa_handler = [](int) {};  // no SA_RESTART: a blocked accept or read returns EINTR
  sigaction(KickSignal(), &kick, nullptr);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGUSR1);
  sigset_t blocked = stop;
  sigaddset(&blocked, KickSignal());
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  // One malloc arena for the process and a thread that gives freed heap
  // pages back after requests (core/memory.h; README "Performance", S6);
  // started after the mask above, so it never takes a stop signal either.
  ConfigureMalloc(threads);
  StartHeapTrimmer();
  std::thread beside;
  if (background) beside = std::thread([&] { background->Run(config); });
  std::atomic<bool> stopping{false};
  std::atomic<int> running{threads};
  std::vector<std::thread> accepting;
  for (int i = 0; i < threads; ++i) {
    accepting.emplace_back([&, i] {
      if (i == 0) {
        AcceptLoop(program, routes, config, backend, std::move(failure), uploads, stopping);
      } else {
        Backend own;
        std::optional<StartFailure> own_failure = Start(program, config, own);
        if (own_failure)
          LogLine(program, "cannot serve, answering 503 until mended: " + own_failure->log);
        AcceptLoop(program, routes, config, own, std::move(own_failure), uploads, stopping);
      }
      // The last to leave on its own (accept() failed for good) stops the
      // process as a supervisor would.
      if (--running == 0 && !stopping) kill(getpid(), SIGTERM);
    });
  }
  int sig = 0;
  while (sigwait(&stop, &sig) != 0) {
  }
  stopping = true;
  // A thread in a request finishes it and takes its kick when it is back in
  // FCGX_Accept_r; one waiting there returns at once. Kicks repeat, since one
  // that lands just before a thread enters accept() is spent in vain. No
  // time limit: exit() under running threads would cut their replies and
  // run the static destructors (the coalescer, the stream repeater) beside
  // them; a request that never ends is the supervisor's to kill.
  auto warn = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (running > 0) {
    for (std::thread& t : accepting) pthread_kill(t.native_handle(), KickSignal());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (std::chrono::steady_clock::now() > warn) {
      LogLine(program, "stopping: waiting for " + std::to_string(running.load()) +
                           " thread(s) to finish their request");
      warn = std::chrono::steady_clock::time_point::max();
    }
  }
  for (std::thread& t : accepting) t.join();
  if (background) {
    background->Stop();
    beside.join();
  }
  return 0;
}

}  // namespace chat
