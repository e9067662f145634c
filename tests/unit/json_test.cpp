// Request body decoding (core/json.h): exactly one JSON object, strictly.
#include "core/json.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace chat {
namespace {

TEST(Json, AcceptsOneObject) {
  Result<Json::Value> r = ParseObject(R"({"text":"hi","n":1})");
  ASSERT_TRUE(r.ok());
  std::string text;
  EXPECT_TRUE(GetString(r.value(), "text", &text));
  EXPECT_EQ(text, "hi");
  EXPECT_FALSE(GetString(r.value(), "n", &text));        // wrong type
  EXPECT_FALSE(GetString(r.value(), "missing", &text));  // absent
}

TEST(Json, RefusesAnythingElse) {
  using namespace std::string_literals;
  std::vector<std::string> bad = {
      "",
      "   ",
      "[]",
      "\"text\"",
      "1",
      "null",
      "{",
      R"({"a":1} trailing)",
      R"({"a":1}{"b":2})",
      R"({"a":1,"a":2})",  // duplicate keys
      "{/* comment */}",
      R"({'a':1})",
      R"({"a":1,})",
      std::string(10000, '[') + std::string(10000, ']'),
      "{\"a\":" + std::string(10000, '[') + std::string(10000, ']') + "}",
      "{\"a\":1}\0{\"junk\":1}"s,  // jsoncpp alone stops reading at a NUL
      "{\"a\":1}\0"s,
      // Issue 11: raw control characters inside strings (RFC 8259 section 7).
      "{\"text\":\"a\nb\"}",
      "{\"text\":\"a\tb\"}",
      "{\"text\":\"\x1B[31m\"}",
      "{\"te\x01xt\":\"a\"}",
      // Issue 11: \u escapes that are not a high surrogate followed by a low one.
      R"({"text":"\ud800\u0041"})",  // jsoncpp alone: U+10041
      R"({"text":"\ud83d\ud83d"})",  // jsoncpp alone: U+1F43D
      R"({"text":"\udc00"})",        // a lone low surrogate
      R"({"text":"\uDE00\uD83D"})",  // the pair the wrong way round
      R"({"text":"\ud800"})",
      R"({"text":"\ud800x"})",
      R"({"text":"\ud800\\u0041"})",
      R"({"\ud800":"key"})",
  };
  for (const std::string& b : bad) {
    Result<Json::Value> r = ParseObject(b);
    ASSERT_FALSE(r.ok()) << b.substr(0, 40);
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().code, "invalid_json");
  }
}

TEST(Json, EscapesThatAreCharactersDecodeToThem) {
  struct Case {
    std::string body, text;
  };
  std::vector<Case> cases = {
      {R"({"text":"\ud83d\ude00"})", "\xF0\x9F\x98\x80"},  // 😀, a proper pair
      {R"({"text":"\uD83D\uDE00"})", "\xF0\x9F\x98\x80"},
      {R"({"text":"\udbff\udfff"})", "\xF4\x8F\xBF\xBF"},  // U+10FFFF
      {R"({"text":"\u00e9\u0041\n\t\"\\/"})",
       "\xC3\xA9"
       "A\n\t\"\\/"},
      {R"({"text":"\uffff\ud7ff\ue000"})", "\xEF\xBF\xBF\xED\x9F\xBF\xEE\x80\x80"},
      {"{\"text\":\"caf\xC3\xA9 \x7F\"}", "caf\xC3\xA9 \x7F"},  // DEL needs no escape
      {R"({"text":"a\\ud800"})", "a\\ud800"},                   // an escaped backslash
  };
  for (const Case& c : cases) {
    Result<Json::Value> r = ParseObject(c.body);
    ASSERT_TRUE(r.ok()) << c.body;
    std::string text;
    ASSERT_TRUE(GetString(r.value(), "text", &text));
    EXPECT_EQ(text, c.text) << c.body;
  }
}

TEST(Json, NulEscapeDecodesToAStringTheRulesThenRefuse) {
  Result<Json::Value> r = ParseObject(R"({"text":"a\u0000b"})");
  ASSERT_TRUE(r.ok());
  std::string text;
  ASSERT_TRUE(GetString(r.value(), "text", &text));
  EXPECT_EQ(text.size(), 3u);  // the NUL is kept, so IsValidMessageText can refuse it
}

TEST(Json, OutputIsCompactUtf8) {
  Json::Value v(Json::objectValue);
  v["text"] = "caf\xC3\xA9 <b>";
  EXPECT_EQ(ToJson(v), "{\"text\":\"caf\xC3\xA9 <b>\"}");
}

// ToJson writes the tree itself (no StreamWriter per answer); it must write
// exactly the bytes jsoncpp's writer does, for every kind of value.
TEST(Json, ToJsonIsByteForByteJsoncppsWriter) {
  std::vector<Json::Value> values;
  values.emplace_back(Json::nullValue);
  values.emplace_back(Json::objectValue);
  values.emplace_back(Json::arrayValue);
  for (Json::Int64 n :
       {Json::Int64{0}, Json::Int64{1}, Json::Int64{-1}, Json::Int64{42},
        std::numeric_limits<Json::Int64>::min(), std::numeric_limits<Json::Int64>::max()}) {
    values.emplace_back(n);
  }
  values.emplace_back(std::numeric_limits<Json::UInt64>::max());
  values.emplace_back(0u);
  for (double d : {0.0, -0.0, 1.5, 0.1, 1e300, -2.5e-10, 3.0, 1e21}) values.emplace_back(d);
  values.emplace_back(true);
  values.emplace_back(false);
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  for (const std::string& s :
       {std::string(), std::string("plain"), every_byte, std::string("a\0b", 3),
        std::string("\"quoted\" \\ back/slash"), std::string("caf\xC3\xA9 \xF0\x9F\x98\x80"),
        std::string("\xFF\xC3 not UTF-8"), std::string("\xE2\x80\xA8 \x7F")}) {
    values.emplace_back(s);
  }
  Json::Value nested(Json::objectValue);
  nested["messages"] = Json::Value(Json::arrayValue);
  nested["cursor"] = Json::Int64{1234567};
  nested["more"] = false;
  Json::Value m(Json::objectValue);
  m["id"] = 7;
  m["text"] = every_byte;
  m["reactions"]["\xF0\x9F\x91\x8D"] = Json::Value(Json::arrayValue);
  m["reactions"]["\xF0\x9F\x91\x8D"].append("ann");
  m["empty"] = Json::Value(Json::objectValue);
  m[std::string("k\0ey\n", 5)] = Json::nullValue;
  nested["messages"].append(m);
  nested["messages"].append(Json::Value(Json::arrayValue));
  nested["messages"].append(1.25);
  values.push_back(nested);
  Json::Value array_of_arrays(Json::arrayValue);
  for (int i = 0; i < 30; ++i)
    array_of_arrays.append(values[static_cast<size_t>(i) % values.size()]);
  values.push_back(array_of_arrays);
  for (const Json::Value& v : values)
    EXPECT_EQ(ToJson(v), ToJsonWithWriter(v)) << ToJsonWithWriter(v);
}

TEST(Json, ErrorBodyHasTheOneShape) {
  ApiError e = Err(410, "room_deleted", "Gone.");
  e.extra["room"]["id"] = 3;
  Json::Value body = ErrorBody(e);
  EXPECT_EQ(body["error"]["code"].asString(), "room_deleted");
  EXPECT_EQ(body["error"]["message"].asString(), "Gone.");
  EXPECT_EQ(body["room"]["id"].asInt(), 3);
}

}  // namespace
}  // namespace chat
