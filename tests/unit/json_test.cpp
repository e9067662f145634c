// Request body decoding (core/json.h): exactly one JSON object, strictly.
#include "core/json.h"

#include <gtest/gtest.h>

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
