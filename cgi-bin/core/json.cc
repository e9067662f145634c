// See json.h.
#include "json.h"

#include <cstring>
#include <memory>
#include <sstream>

namespace chat {
namespace {

const Json::CharReaderBuilder& ReaderBuilder() {
  static const Json::CharReaderBuilder builder = [] {
    Json::CharReaderBuilder b;
    Json::CharReaderBuilder::strictMode(&b.settings_);
    b.settings_["stackLimit"] = 64;  // 10,000-deep nesting is refused, not recursed into
    return b;
  }();
  return builder;
}

// jsoncpp skips comments inside objects even in strict mode; JSON has no
// '/' outside strings, so one pass finds them.
bool HasComment(const std::string& body) {
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '/') {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<Json::Value> ParseObject(const std::string& body) {
  static const std::unique_ptr<Json::CharReader> reader(ReaderBuilder().newCharReader());
  Json::Value root;
  std::string errors;
  bool ok = false;
  // jsoncpp also stops reading at a NUL byte, so "{...}\0trailing junk" would
  // pass; JSON text never holds a raw NUL (inside strings it is \u0000).
  if (HasComment(body) || body.find('\0') != std::string::npos) {
    return Err(400, "invalid_json", "The request body must be a JSON object.");
  }
  try {
    ok = reader->parse(body.data(), body.data() + body.size(), &root, &errors);
  } catch (const std::exception&) {  // jsoncpp throws on its stack limit
    ok = false;
  }
  if (!ok || !root.isObject()) {
    return Err(400, "invalid_json", "The request body must be a JSON object.");
  }
  return root;
}

std::string ToJson(const Json::Value& v) {
  static const std::unique_ptr<Json::StreamWriter> writer = [] {
    Json::StreamWriterBuilder b;
    b["indentation"] = "";
    b["emitUTF8"] = true;
    return std::unique_ptr<Json::StreamWriter>(b.newStreamWriter());
  }();
  std::ostringstream out;
  writer->write(v, &out);
  return out.str();
}

Json::Value ErrorBody(const ApiError& e) {
  Json::Value body(Json::objectValue);
  if (e.extra.isObject()) body = e.extra;
  body["error"]["code"] = e.code;
  body["error"]["message"] = e.message;
  return body;
}

bool GetString(const Json::Value& obj, const char* key, std::string* out) {
  const Json::Value* v = obj.find(key, key + strlen(key));
  if (v == nullptr || !v->isString()) return false;
  *out = v->asString();
  return true;
}

}  // namespace chat
