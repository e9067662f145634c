// Fuzz target: the session cookie verifier (core/session.h VerifyCookie).
// Any byte string is refused unless it is exactly the canonical signed form
// of some token; the signed form of the input's first 16 bytes verifies, and
// no single flipped bit of it does.
#include <sodium.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "core/session.h"

namespace {

chat::SessionKey Key() {
  chat::SessionKey k;
  k.fill(0x42);
  return k;
}

void Require(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "FUZZ CHECK FAILED: %s\n", what);
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) { return sodium_init() < 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const chat::SessionKey key = Key();
  std::string value(reinterpret_cast<const char*>(data), size);
  if (std::optional<chat::Token> t = chat::VerifyCookie(value, key)) {
    Require(chat::SignToken(*t, key) == value, "a non-canonical cookie verified");
  }
  if (size >= 16) {
    chat::Token token;
    memcpy(token.data(), data, token.size());
    std::string signed_value = chat::SignToken(token, key);
    Require(chat::VerifyCookie(signed_value, key) == token, "a signed cookie did not verify");
    size_t bit = size > 16 ? data[16] % (signed_value.size() * 8) : 0;
    std::string flipped = signed_value;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    Require(!chat::VerifyCookie(flipped, key), "a cookie with a flipped bit verified");
  }
  return 0;
}
