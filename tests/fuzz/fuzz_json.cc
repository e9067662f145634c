// Fuzz target: request body decoding (core/json.h ParseObject: strict mode,
// no comments, no duplicate keys, nesting <= 64, no NUL, no raw controls in
// strings, no \u escapes that are not characters) and the input rules
// applied to whatever strings it yields. An accepted body is a JSON object
// that survives a round trip through ToJson unchanged.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/json.h"
#include "core/validate.h"

namespace {

void Require(bool ok, const char* what, const std::string& s) {
  if (ok) return;
  fprintf(stderr, "FUZZ CHECK FAILED: %s: %s\n", what, s.substr(0, 2000).c_str());
  abort();
}

// Every key and string value, at any depth, is valid UTF-8.
bool StringsAreUtf8(const Json::Value& v) {
  if (v.isString()) return chat::IsValidUtf8(v.asString());
  if (v.isArray()) {
    for (const Json::Value& e : v) {
      if (!StringsAreUtf8(e)) return false;
    }
  }
  if (v.isObject()) {
    for (const std::string& k : v.getMemberNames()) {
      if (!chat::IsValidUtf8(k) || !StringsAreUtf8(v[k])) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  chat::Result<Json::Value> parsed = chat::ParseObject(body);
  if (!parsed.ok()) {
    Require(parsed.error().status == 400 && parsed.error().code == "invalid_json", "error", body);
    return 0;
  }
  const Json::Value& v = parsed.value();
  Require(v.isObject(), "accepted a non-object", body);
  Require(body.find('\0') == std::string::npos, "accepted a NUL byte", body);
  for (unsigned char c : body) {  // RFC 8259: only \t \n \r, and only between tokens
    Require(c >= 0x20 || c == '\t' || c == '\n' || c == '\r', "accepted a raw control", body);
  }
  // \u escapes decode to characters only (no lone or swapped surrogates), so
  // a UTF-8 body gives UTF-8 strings.
  if (chat::IsValidUtf8(body)) Require(StringsAreUtf8(v), "a string is not UTF-8", body);
  std::string again = chat::ToJson(v);
  chat::Result<Json::Value> reparsed = chat::ParseObject(again);
  Require(reparsed.ok() && reparsed.value() == v, "round trip", body + " -> " + again);
  for (const char* key : {"username", "password", "name", "text", "client_id", "old", "new"}) {
    std::string s;
    if (!chat::GetString(v, key, &s)) continue;
    chat::IsValidUsername(s);
    chat::IsValidPassword(s);
    chat::NormalizeRoomName(s);
    if (chat::IsValidMessageText(s)) Require(chat::IsValidUtf8(s), "text not UTF-8", body);
    if (chat::IsValidClientId(s)) Require(s.size() >= 1 && s.size() <= 64, "client_id", body);
  }
  return 0;
}
