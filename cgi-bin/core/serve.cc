// The accept loop (http.h's Serve): reads a request through cgicc, from
// libfcgi's streams under a FastCGI server or from the environment and stdin
// as plain CGI, dispatches it, writes the reply and logs one line. This is
// the only place that catches exceptions: a failure of the machine becomes a
// logged 500 (503 when the database stayed locked), never a dead worker.
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
    case 429:
      return "Too Many Requests";
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
Status ReadRequest(cgicc::CgiInput& in, Request& req) {
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
    if (*n > static_cast<int64_t>(kMaxBody)) {
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
    for (const cgicc::HTTPCookie& c : env.getCookieList()) {
      if (c.getName() == SessionCookieName(req.https) && req.session_cookie.empty()) {
        req.session_cookie = c.getValue();
      }
      if (c.getName() == DeviceCookieName(req.https) && req.device_cookie.empty()) {
        req.device_cookie = c.getValue();
      }
    }
    if (req.method == "GET") {
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

Response Failure(const char* program, const std::exception& e) {
  LogLine(program, std::string("error: ") + e.what());
  if (auto* db = dynamic_cast<const DbError*>(&e); db && (db->code() & 0xff) == SQLITE_BUSY) {
    ApiError busy = Err(503, "busy", "The server is busy; try again in a moment.");
    busy.retry_after = 1;
    return Response::Error(busy);
  }
  return Response::Error(Err(500, "internal_error", "Something went wrong on the server."));
}

void Write(const Response& r, bool head_only, const Writer& out) {
  std::string head = "Status: " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
  if (!r.body.empty()) {
    // With a length nginx passes the reply on as is instead of re-framing
    // it in chunks.
    head += "Content-Type: application/json; charset=utf-8\r\nContent-Length: " +
            std::to_string(r.body.size()) + "\r\n";
  }
  head += "Cache-Control: no-store\r\n";
  for (const auto& [name, value] : r.headers) head += name + ": " + value + "\r\n";
  head += "\r\n";
  out(head);
  if (!r.body.empty() && !head_only) out(r.body);
}

// One request, start to finish; never throws.
void Handle(const char* program, const std::vector<Route>& routes, const Config& config,
            const SessionKey& key, Db& db, cgicc::CgiInput& in, const Writer& out) {
  auto start = std::chrono::steady_clock::now();
  Request req;
  Response res;
  try {
    if (Status s = ReadRequest(in, req)) {
      res = Response::Error(*s);
    } else {
      Context ctx{config, key, db, req};
      res = Dispatch(routes, ctx);
    }
  } catch (const std::exception& e) {
    res = Failure(program, e);
  }
  Write(res, req.head, out);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  LogRequest(program, req.head ? "HEAD" : req.method, req.path, res.status, ms,
             req.user ? req.user->id : 0);
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

int Serve(const char* program, const std::vector<Route>& routes) {
  if (sodium_init() < 0) {
    LogLine(program, "libsodium failed to start");
    return 1;
  }
  Config config = LoadConfig();
  Result<KeyFile> key = KeyFile::Open(config.secret_path);
  if (!key.ok()) {
    LogLine(program, key.error().message);
    return 1;
  }
  std::unique_ptr<Db> db;
  try {
    db = Db::Open(config);
  } catch (const std::exception& e) {
    LogLine(program, e.what());
    return 1;
  }
  // A new release migrates the database at its first start; an old binary
  // refuses a database it does not know (migrate.h).
  Result<int> schema = Upgrade(*db, [program](const std::string& s) { LogLine(program, s); });
  if (!schema.ok()) {
    LogLine(program, schema.error().message);
    return 1;
  }
  if (FCGX_IsCGI()) {
    cgicc::CgiInput in;
    Handle(program, routes, config, key.value().Current(), *db, in,
           [](const std::string& s) { fwrite(s.data(), 1, s.size(), stdout); });
    fflush(stdout);
    return 0;
  }
  LogLine(program, std::string("serving FastCGI, SQLite ") + sqlite3_libversion() + ", db " +
                       config.db_path);
  LogLine(program, "settings: " + Describe(config));
  FCGX_Init();
  FCGX_Request fcgi;
  FCGX_InitRequest(&fcgi, 0, 0);
  while (FCGX_Accept_r(&fcgi) >= 0) {
    FcgiInput in(fcgi);
    // The key file is looked at for every request: `chatctl secret rotate`
    // takes effect at once, without restarting the workers.
    Handle(program, routes, config, key.value().Current(), *db, in, [&fcgi](const std::string& s) {
      FCGX_PutStr(s.data(), static_cast<int>(s.size()), fcgi.out);
    });
    FCGX_Finish_r(&fcgi);
  }
  return 0;
}

}  // namespace chat
