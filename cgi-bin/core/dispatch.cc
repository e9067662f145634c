// Route matching and the precondition checks of http.h, in the order a
// request meets them: path, method, origin, media type, session, body,
// membership. Writes (every method but GET) need a same-origin request (the
// Origin and Sec-Fetch-Site checks), and one that carries a body needs
// Content-Type: application/json; with SameSite=Lax cookies this is the CSRF
// defence, since a cross-site form can send neither a same-origin Origin nor
// a JSON body. A write without a body (DELETE, join, leave, logout) has no
// media type to check.
#include <cstring>
#include <string_view>

#include "clock.h"
#include "http.h"
#include "json.h"
#include "validate.h"

namespace chat {
namespace {

// Matches `path` against `pattern`; stores the {id} segment in *id and the
// {user} segment in *user (both decimal, > 0, as ParseDecimal reads them).
bool Match(const char* pattern, const std::string& path, int64_t* id, int64_t* user) {
  std::string_view p(pattern), s(path);
  while (!p.empty() && !s.empty()) {
    size_t pe = p.find('/', 1), se = s.find('/', 1);
    std::string_view pseg = p.substr(0, pe), sseg = s.substr(0, se);
    if (pseg == "/{id}" || pseg == "/{user}") {
      std::optional<int64_t> v = ParseDecimal(std::string(sseg.substr(1)));
      if (!v || *v <= 0) return false;
      *(pseg == "/{id}" ? id : user) = *v;
    } else if (pseg != sseg) {
      return false;
    }
    p = pe == std::string_view::npos ? std::string_view() : p.substr(pe);
    s = se == std::string_view::npos ? std::string_view() : s.substr(se);
  }
  return p.empty() && s.empty();
}

bool IsJsonType(const std::string& ct) {
  static constexpr std::string_view kJson = "application/json";
  if (ct.size() < kJson.size() || strncasecmp(ct.c_str(), kJson.data(), kJson.size()) != 0) {
    return false;
  }
  return ct.size() == kJson.size() || ct[kJson.size()] == ';' || ct[kJson.size()] == ' ';
}

Status CheckOrigin(const Request& req) {
  if (req.sec_fetch_site == "cross-site") {
    return Err(403, "bad_origin", "Cross-site requests are not allowed.");
  }
  if (req.origin.empty()) return std::nullopt;
  std::string own = std::string(req.https ? "https://" : "http://") + req.host;
  if (req.host.empty() || strcasecmp(req.origin.c_str(), own.c_str()) != 0) {
    return Err(403, "bad_origin", "Requests from another origin are not allowed.");
  }
  return std::nullopt;
}

// Content-Type describes the content (RFC 9110 8.3): with none (no bytes
// after nginx read the whole body, whatever framing it came in) there is
// nothing to check. Any byte at all, whitespace included, must be JSON.
Status CheckWrite(const Request& req, unsigned flags) {
  if (Status s = CheckOrigin(req)) return s;
  if (flags & kUpload) {
    if (req.origin.empty()) {
      return Err(403, "bad_origin", "An upload must carry the Origin header of this site.");
    }
    if (strncasecmp(req.content_type.c_str(), "multipart/form-data", 19) != 0) {
      return Err(415, "unsupported_file",
                 "Send the file as multipart/form-data in a part named file.");
    }
    return std::nullopt;
  }
  if (!req.body.empty() && !IsJsonType(req.content_type)) {
    return Err(415, "unsupported_media_type",
               "Send the request as Content-Type: application/json.");
  }
  return std::nullopt;
}

Status ParseBody(Request& req, unsigned flags) {
  bool has_body = req.body.find_first_not_of(" \t\r\n") != std::string::npos;
  if (!has_body && !(flags & kNeedsJsonBody)) return std::nullopt;
  Result<Json::Value> parsed = ParseObject(req.body);
  if (!parsed.ok()) return parsed.error();
  req.json = std::move(parsed.value());
  return std::nullopt;
}

// A valid session (session.h: idle and absolute limits).
Status CheckSession(Context& ctx) {
  int64_t now = NowMs();
  std::optional<Token> token = VerifyCookie(ctx.req.session_cookie, ctx.key);
  if (token) ctx.req.user = LookupSession(ctx.db, *token, now);
  if (ctx.req.user && SessionTooOld(*ctx.req.user, now, ctx.config.session_ttl_ms)) {
    ctx.req.user.reset();
  }
  if (!ctx.req.user) return Err(401, "not_logged_in", "Log in first.");
  return std::nullopt;
}

// Every poll passes here. A GET read its session row in this request's
// snapshot, so the session's room_id is current: someone inside a live open
// room costs one primary-key read instead of the whole room (owner join,
// member count) plus a second users read; inside a private room, one more
// (the room_members row: CheckRoomAccess's rule, core/rooms.h). Anything else
// goes the long way, which tells 404, 410 and 409 apart.
Status CheckMember(Context& ctx) {
  const Request& req = ctx.req;
  if (req.method == "GET" && ctx.user().room_id == req.id &&
      IsLiveRoomFor(ctx.db, req.id, ctx.user().id)) {
    return std::nullopt;
  }
  Result<Room> room = CheckMembership(ctx.db, ctx.user().id, req.id);
  if (!room.ok()) return room.error();
  return std::nullopt;
}

Status CheckPreconditions(const Route& route, Context& ctx) {
  Request& req = ctx.req;
  if (req.method != "GET") {
    if (Status s = CheckWrite(req, route.flags)) return s;
  } else if (route.flags & kSameOrigin) {
    if (Status s = CheckOrigin(req)) return s;
  }
  if (route.flags & (kNeedsSession | kNeedsMembership)) {
    if (Status s = CheckSession(ctx)) return s;
  }
  if (req.method != "GET" && !(route.flags & kUpload)) {
    if (Status s = ParseBody(req, route.flags)) return s;
  }
  if (route.flags & kNeedsMembership) {
    if (Status s = CheckMember(ctx)) return s;
  }
  return std::nullopt;
}

}  // namespace

Response Dispatch(const std::vector<Route>& routes, Context& ctx) {
  std::string allow;
  for (const Route& route : routes) {
    int64_t id = 0, user = 0;
    if (!Match(route.pattern, ctx.req.path, &id, &user)) continue;
    if (ctx.req.method != route.method || route.handler == nullptr) {
      allow += allow.empty() ? route.method : std::string(", ") + route.method;
      continue;
    }
    ctx.req.id = id;
    ctx.req.path_user = user;
    // GET never writes: its session check, membership check and handler
    // read one snapshot (see ReadSnapshot in db.h).
    Response res;
    {
      std::optional<ReadSnapshot> snapshot;
      if (ctx.req.method == "GET" && !(route.flags & kOwnTransactions)) snapshot.emplace(ctx.db);
      if (Status s = CheckPreconditions(route, ctx)) return Response::Error(*s);
      res = route.handler(ctx);
    }
    // A request a person made (not kBackground) is activity for the idle
    // limit; recorded after the snapshot and the handler's transaction ended.
    if (ctx.req.user && !(route.flags & kBackground)) {
      TouchSession(ctx.db, *ctx.req.user, NowMs(), ctx.config.session_idle_ms,
                   ctx.config.session_ttl_ms);
    }
    return res;
  }
  if (allow.empty())
    return Response::Error(Err(404, "not_found", "There is nothing at this address."));
  Response r = Response::Error(
      Err(405, "method_not_allowed", "This address does not accept " + ctx.req.method + "."));
  r.headers.emplace_back("Allow", allow);
  return r;
}

}  // namespace chat
