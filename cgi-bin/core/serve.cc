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
#include <sodium.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "device.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "migrate.h"
#include "retention.h"
#include "storage.h"
#include "validate.h"

namespace chat {
namespace {

using Writer = std::function<void(const std::string&)>;

// cgicc reads FastCGI's streams through this.
class FcgiInput : public cgicc::CgiInput {
 public:
  explicit FcgiInput(FCGX_Request& r) : r_(r) {}
  size_t read(char* data, size_t length) override {
    int n = FCGX_GetStr(data, static_cast<int>(length), r_.in);
    return n < 0 ? 0 : static_cast<size_t>(n);
  }
  std::string getenv(const char* name) override {
    const char* v = FCGX_GetParam(name, r_.envp);
    return v ? v : "";
  }

 private:
  FCGX_Request& r_;
};

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

std::string PathOf(cgicc::CgiInput& in) {
  std::string path = in.getenv("DOCUMENT_URI");
  if (path.empty()) {
    path = in.getenv("REQUEST_URI");
    path = path.substr(0, path.find('?'));
  }
  return path;
}

// Fills req from the CGI variables and body; an error when they are unusable.
Status ReadRequest(cgicc::CgiInput& in, Request& req, const Config& config, bool uploads) {
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
    cgicc::Cgicc cgi(&in);
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

// One request, start to finish; never throws. True when the database must
// be opened again before the next one.
bool Handle(const char* program, const std::vector<Route>& routes, const Config& config,
            const SessionKey& key, Db& db, cgicc::CgiInput& in, const Writer& out,
            bool uploads = false) {
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
  return reopen;
}

// A request while the worker cannot serve: the reason's 503, read from
// nothing but the method and path (the body is left to libfcgi to discard).
void Refuse(const char* program, const ApiError& why, cgicc::CgiInput& in, const Writer& out) {
  auto start = std::chrono::steady_clock::now();
  std::string method = in.getenv("REQUEST_METHOD");
  std::string path = PathOf(in);
  ApiError e = why;
  if (path == "/api/health") e.extra["ok"] = false;  // health's own shape (auth.cpp)
  Write(Response::Error(e), method == "HEAD", out);
  LogRequest(program, method, path, e.status, MsSince(start), 0);
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
    b.db = std::move(db);
  }
  return std::nullopt;
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

int Serve(const char* program, const std::vector<Route>& routes, bool uploads) {
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
    cgicc::CgiInput in;
    Handle(
        program, routes, config, backend.key->Current(), *backend.db, in,
        [](const std::string& s) { fwrite(s.data(), 1, s.size(), stdout); }, uploads);
    fflush(stdout);
    return 0;
  }
  LogLine(program, std::string("serving FastCGI, SQLite ") + sqlite3_libversion() + ", db " +
                       config.db_path);
  LogLine(program, "settings: " + Describe(config));
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_try = Clock::now(), last_log = last_try;
  if (failure) LogLine(program, "cannot serve, answering 503 until mended: " + failure->log);
  FCGX_Init();
  FCGX_Request fcgi;
  FCGX_InitRequest(&fcgi, 0, 0);
  while (FCGX_Accept_r(&fcgi) >= 0) {
    FcgiInput in(fcgi);
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
    if (failure) {
      Refuse(program, failure->reply, in, out);
    } else if (Handle(program, routes, config, backend.key->Current(), *backend.db, in, out,
                      uploads)) {
      // The key file is looked at for every request (Current()): `chatctl
      // secret rotate` takes effect at once, without restarting the workers.
      backend.db.reset();  // read-only under us: open it afresh, now
      failure = Start(program, config, backend);
      last_try = last_log = Clock::now();
      if (failure) LogLine(program, "cannot serve, answering 503 until mended: " + failure->log);
    }
    FCGX_Finish_r(&fcgi);
    // After the reply has gone (Finish flushed it): nobody waits on this.
    if (!failure) MaybePruneBetweenRequests(program, config, *backend.db);
  }
  return 0;
}

}  // namespace chat
