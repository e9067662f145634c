// Every JSON byte in or out goes through jsoncpp, configured once: strict
// parsing (no comments, no trailing garbage, no duplicate keys, bounded
// nesting; raw control characters in strings and \u escapes that are not a
// proper surrogate pair refused, as RFC 8259 says) and compact UTF-8 output.
#pragma once

#include <json/json.h>

#include <string>

#include "result.h"

namespace chat {

// Parses a request body that must be exactly one JSON object.
Result<Json::Value> ParseObject(const std::string& body);
// Compact serialisation, UTF-8 kept as is: byte for byte what jsoncpp's
// StreamWriter writes with indentation "" and emitUTF8 (ToJsonWithWriter;
// tests/unit/json_test.cpp compares the two), appended to a string in one
// walk of the tree, without the writer's ostringstream and its allocations.
std::string ToJson(const Json::Value& v);
void AppendJson(const Json::Value& v, std::string* out);
// The same through jsoncpp's StreamWriter: the reference ToJson is tested against.
std::string ToJsonWithWriter(const Json::Value& v);
// {"error": {"code", "message"}} plus the error's extra fields.
Json::Value ErrorBody(const ApiError& e);

// Typed field access for request bodies: a missing or wrongly typed field is
// nullopt-like (returns false) so handlers answer their own 400 code.
bool GetString(const Json::Value& obj, const char* key, std::string* out);

}  // namespace chat
