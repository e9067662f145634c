// Errors as values. Everything a client can get wrong is an ApiError: an HTTP
// status, a stable snake_case code for programs and a sentence for people.
// Core functions return Result<T> (a value or an ApiError) instead of
// throwing, so a handler reads as a straight line of checks; exceptions are
// kept for failures of the machine (SQLite I/O, out of memory), which only the
// accept loop catches.
#pragma once

#include <json/json.h>

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace chat {

struct ApiError {
  int status = 400;
  std::string code;
  std::string message;
  Json::Value extra;    // fields set beside "error" in the reply (e.g. "room"), or null
  int retry_after = 0;  // seconds for a Retry-After header, when > 0
};

inline ApiError Err(int status, std::string code, std::string message) {
  return ApiError{status, std::move(code), std::move(message), Json::Value()};
}

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(ApiError error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const ApiError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

// A check that either passes (nullopt) or fails with the error to answer.
using Status = std::optional<ApiError>;

}  // namespace chat
