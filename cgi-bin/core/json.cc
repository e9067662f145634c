// See json.h.
#include "json.h"

#include <cstdint>
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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits of a \u escape at body[i] ('\\' at i), or -1.
int32_t EscapeAt(const std::string& body, size_t i) {
  if (i + 6 > body.size() || body[i] != '\\' || body[i + 1] != 'u') return -1;
  int32_t v = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    int h = HexValue(body[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// What jsoncpp lets through although RFC 8259 forbids it, found in one pass
// before it parses:
// - comments (it skips them inside objects even in strict mode; JSON has no
//   '/' outside strings);
// - a raw NUL anywhere (jsoncpp stops reading there, so "{...}\0junk" would
//   pass; inside strings it is \u0000);
// - raw control characters U+0000-U+001F inside strings (RFC 8259 section 7:
//   they "MUST be escaped");
// - a \u escape of a surrogate that is not a high one followed at once by a
//   low one: jsoncpp reads "\ud800\u0041" as U+10041 and "\ud83d\ud83d" as
//   U+1F43D, and a lone low surrogate as bytes that are not UTF-8. Section 8.2
//   leaves such strings to the implementation; ours refuses them.
bool LexicallyInvalid(const std::string& body) {
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(body[i]);
    if (c == 0) return true;
    if (!in_string) {
      if (c == '/') return true;
      in_string = c == '"';
    } else if (c < 0x20) {
      return true;
    } else if (c == '"') {
      in_string = false;
    } else if (c == '\\') {
      int32_t u = EscapeAt(body, i);
      if (u >= 0xDC00 && u <= 0xDFFF) return true;  // a low surrogate first
      if (u >= 0xD800 && u <= 0xDBFF) {
        int32_t low = EscapeAt(body, i + 6);
        if (low < 0xDC00 || low > 0xDFFF) return true;
        i += 6;  // on to the low half's backslash
      }
      ++i;  // past the escaped character ('"', '\\', 'u' ...); hex digits are plain bytes
    }
  }
  return false;
}

// A string as jsoncpp's writer quotes it with emitUTF8: the two characters
// JSON requires escaped and the control characters (RFC 8259 section 7; the
// short forms for \b \f \n \r \t, \u00XX in lower-case hex for the others),
// every other byte, UTF-8 included, as it is.
void AppendQuoted(const char* begin, const char* end, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  const char* run = begin;
  for (const char* c = begin; c != end; ++c) {
    unsigned char u = static_cast<unsigned char>(*c);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out->append(run, c);
    run = c + 1;
    switch (u) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[u >> 4]);
        out->push_back(kHex[u & 15]);
    }
  }
  out->append(run, end);
  out->push_back('"');
}

void AppendInt(int64_t n, std::string* out) {
  char buf[24];
  char* p = buf + sizeof buf;
  uint64_t u = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  do {
    *--p = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (n < 0) *--p = '-';
  out->append(p, buf + sizeof buf);
}

}  // namespace

Result<Json::Value> ParseObject(const std::string& body) {
  // A reader keeps state while it parses: one per thread (serve.cc's
  // CHAT_WORKER_THREADS).
  thread_local const std::unique_ptr<Json::CharReader> reader(ReaderBuilder().newCharReader());
  Json::Value root;
  std::string errors;
  bool ok = false;
  if (LexicallyInvalid(body)) {
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
  std::string out;
  out.reserve(256);
  AppendJson(v, &out);
  return out;
}

std::string ToJsonWithWriter(const Json::Value& v) {
  thread_local const std::unique_ptr<Json::StreamWriter> writer = [] {
    Json::StreamWriterBuilder b;
    b["indentation"] = "";
    b["emitUTF8"] = true;
    return std::unique_ptr<Json::StreamWriter>(b.newStreamWriter());
  }();
  std::ostringstream out;
  writer->write(v, &out);
  return out.str();
}

void AppendJson(const Json::Value& v, std::string* out) {
  switch (v.type()) {
    case Json::nullValue:
      out->append("null");
      return;
    case Json::intValue:
      AppendInt(v.asLargestInt(), out);
      return;
    case Json::uintValue:
      out->append(std::to_string(v.asLargestUInt()));
      return;
    case Json::realValue:
      // jsoncpp's own formatting (17 significant digits, ".0" kept, "1e+9999"
      // style specials off: null), so a double reads back the same.
      out->append(Json::valueToString(v.asDouble()));
      return;
    case Json::stringValue: {
      const char* begin = nullptr;
      const char* end = nullptr;
      v.getString(&begin, &end);
      AppendQuoted(begin, end, out);
      return;
    }
    case Json::booleanValue:
      out->append(v.asBool() ? "true" : "false");
      return;
    case Json::arrayValue: {
      out->push_back('[');
      for (Json::ArrayIndex i = 0; i < v.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJson(v[i], out);
      }
      out->push_back(']');
      return;
    }
    case Json::objectValue: {
      out->push_back('{');
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        const char* end = nullptr;
        const char* name = it.memberName(&end);
        AppendQuoted(name, end, out);
        out->push_back(':');
        AppendJson(*it, out);
      }
      out->push_back('}');
      return;
    }
  }
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
