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
  };
  for (const std::string& b : bad) {
    Result<Json::Value> r = ParseObject(b);
    ASSERT_FALSE(r.ok()) << b.substr(0, 40);
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().code, "invalid_json");
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
