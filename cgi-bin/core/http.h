// The request/response model every program shares, and its route table.
//
// A program is a table of Routes and its handlers. Each route carries flags
// saying what it needs (a session, a JSON body, membership of the room in its
// path); the dispatcher checks those in one place, in a fixed order, and
// answers 401/403/404/405/409/410/413/415 itself, so a handler only runs
// when its preconditions hold. A fresh Request and Response per request;
// nothing survives between requests but the Db and the statement cache.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "db.h"
#include "result.h"
#include "rooms.h"
#include "session.h"

namespace chat {

constexpr size_t kMaxBody = 64 * 1024;
// What a multipart upload may carry beside its file (boundaries, part
// headers): nginx's client_max_body_size for the upload route is
// CHAT_FILE_MAX_MB plus this (conf/run.sh).
constexpr size_t kMultipartSlack = 64 * 1024;

// One file part of a multipart/form-data body (RFC 7578), as cgicc's
// FormFile read it.
struct FormPart {
  std::string name;          // the part's form field name
  std::string filename;      // the filename parameter, as sent
  std::string content_type;  // the part's declared Content-Type, as sent
  std::string data;          // its bytes
};

struct Request {
  std::string method;  // HEAD is read as GET, with head set
  bool head = false;   // HEAD: answer as GET without the body
  std::string path;
  std::map<std::string, std::string> query;  // first value of each parameter, decoded
  std::string content_type;
  std::string origin;          // Origin header, if sent
  std::string host;            // Host header
  std::string sec_fetch_site;  // Sec-Fetch-Site header, if sent
  std::string remote_addr;     // the client's address (REMOTE_ADDR), for login throttling
  std::string accept;          // Accept header, if sent (the event stream needs it)
  std::optional<std::string> last_event_id;  // Last-Event-ID header, when sent
  bool https = false;
  std::string body;             // empty for a multipart upload: its parts are in `files`
  std::vector<FormPart> files;  // the file parts of a multipart/form-data body (uploads only)
  std::string session_cookie;   // value of the chat_session cookie, if sent
  std::string device_cookie;    // value of the chat_device cookie (device.h), if sent

  // Filled in by the dispatcher before the handler runs.
  Json::Value json{Json::objectValue};  // the body object ({} when no body)
  int64_t id = 0;                       // the {id} of the route's pattern
  int64_t path_user = 0;                // the {user} (a user id) of the route's pattern, if any
  std::optional<SessionUser> user;      // set for kNeedsSession routes

  // The query parameter, or nullopt when absent.
  std::optional<std::string> Param(const char* name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // JSON text, or empty for 204
  // A download written in pieces after the headers (set instead of body:
  // the handler sets Content-Type itself; no Content-Length, so nginx
  // sends it chunked). Runs after the handler's read snapshot ended, so it
  // reads in short transactions of its own and must not throw.
  std::function<void(const std::function<void(const std::string&)>&)> stream;
  // Work for after the reply has gone to nginx (serve.cc runs it once the
  // request is finished), so the client does not wait on it: doorbells whose
  // cost grows with the people they ring (post.cpp, README "Performance"
  // S11). Runs after the handler's transaction ended and must not need it.
  std::function<void()> after;

  static Response Json(int status, const Json::Value& body);
  static Response NoContent();
  static Response Error(const ApiError& e);
};

struct Context {
  const Config& config;
  const SessionKey& key;
  Db& db;
  Request& req;

  const SessionUser& user() const { return *req.user; }
};

enum RouteFlags : unsigned {
  kPublic = 0,
  kNeedsSession = 1 << 0,     // 401 not_logged_in without a valid session
  kNeedsJsonBody = 1 << 1,    // 400 invalid_json unless the body is a JSON object
  kNeedsMembership = 1 << 2,  // 404/410 for the room in the path, 409 unless the user is in it
  kBackground = 1 << 3,       // sent by a timer, not a person: not activity for the idle limit
  kOwnTransactions = 1 << 4,  // a GET run outside the read snapshot (health probes the write lock)
  kSameOrigin = 1 << 5,       // a GET refused like a write (403 bad_origin) from another origin
  // A multipart/form-data upload instead of a JSON body (415
  // unsupported_file otherwise) that must carry a same-origin Origin header
  // (403 bad_origin without one): a form on another site can post
  // multipart, so the JSON-only rule's CSRF defence is this instead.
  kUpload = 1 << 6,
};

using Handler = Response (*)(Context&);

struct Route {
  const char* method;
  const char* pattern;  // literal segments, at most one "{id}" and one "{user}" (decimal, > 0)
  unsigned flags;
  Handler handler;  // nullptr: another program serves this method (listed for Allow)
};

// Checks the route's preconditions and runs its handler.
Response Dispatch(const std::vector<Route>& routes, Context& ctx);

// Work a program does beside its requests, on a thread of its own (the
// post program's mention fan-out, core/fanout.h). FastCGI only: Serve runs
// Run() on a thread started once the stop signals are blocked (so it never
// takes one) and, when the worker stops, after every accepting thread has
// finished, calls Stop() and waits for Run() to return.
class Background {
 public:
  virtual ~Background() = default;
  virtual void Run(const Config& config) = 0;
  virtual void Stop() = 0;
};

// The program's main loop: FastCGI when started by a FastCGI server,
// otherwise one CGI request from the environment and stdin. Returns the exit
// code. `uploads`: bodies up to CHAT_FILE_MAX_MB plus kMultipartSlack are
// read (and multipart file parts parsed) instead of 64 KiB. `background`:
// see Background (none when null).
int Serve(const char* program, const std::vector<Route>& routes, bool uploads = false,
          Background* background = nullptr);

}  // namespace chat
