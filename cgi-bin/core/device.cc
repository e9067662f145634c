// See device.h.
#include "device.h"

#include <sodium.h>

#include <cstring>

namespace chat {
namespace {

constexpr int kB64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
constexpr size_t kNonceBytes = 16;
constexpr size_t kHeadBytes = kNonceBytes + 8;  // nonce and issued_at
constexpr size_t kMaxKeyBytes = 64;             // username keys are at most 32
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "chatdevc";
static_assert(sizeof(SessionKey) == crypto_kdf_KEYBYTES, "the session key is a KDF master key");

std::string Base64(const unsigned char* data, size_t len) {
  std::string out(sodium_base64_encoded_len(len, kB64), '\0');
  sodium_bin2base64(out.data(), out.size(), data, len, kB64);
  out.resize(strlen(out.c_str()));
  return out;
}

// Decodes base64url and accepts only its canonical spelling (libsodium
// ignores the unused low bits of the last character; see session.cc).
std::optional<std::string> Unbase64(const std::string& in, size_t max) {
  std::string out(max, '\0');
  size_t got = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), in.data(),
                        in.size(), nullptr, &got, nullptr, kB64) != 0) {
    return std::nullopt;
  }
  out.resize(got);
  if (Base64(reinterpret_cast<const unsigned char*>(out.data()), out.size()) != in) {
    return std::nullopt;
  }
  return out;
}

using Mac = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

Mac Sign(const std::string& payload, const SessionKey& key) {
  unsigned char subkey[crypto_auth_hmacsha256_KEYBYTES];
  crypto_kdf_derive_from_key(subkey, sizeof subkey, 1, kKdfContext, key.data());
  Mac mac{};
  crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const unsigned char*>(payload.data()),
                         payload.size(), subkey);
  sodium_memzero(subkey, sizeof subkey);
  return mac;
}

}  // namespace

std::string MakeDeviceCookie(const SessionKey& key, const std::string& username_key, int64_t now) {
  std::string payload(kHeadBytes, '\0');
  randombytes_buf(payload.data(), kNonceBytes);
  for (int i = 0; i < 8; ++i) {
    payload[kNonceBytes + i] =
        static_cast<char>((static_cast<uint64_t>(now) >> (56 - 8 * i)) & 0xff);
  }
  payload += username_key;
  Mac mac = Sign(payload, key);
  return Base64(reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) + "." +
         Base64(mac.data(), mac.size());
}

std::optional<Device> VerifyDeviceCookie(const std::string& value, const SessionKey& key,
                                         int64_t now) {
  size_t dot = value.find('.');
  if (dot == std::string::npos) return std::nullopt;
  std::optional<std::string> payload = Unbase64(value.substr(0, dot), kHeadBytes + kMaxKeyBytes);
  std::optional<std::string> mac = Unbase64(value.substr(dot + 1), crypto_auth_hmacsha256_BYTES);
  if (!payload || !mac || payload->size() <= kHeadBytes ||
      mac->size() != crypto_auth_hmacsha256_BYTES) {
    return std::nullopt;
  }
  Mac want = Sign(*payload, key);
  if (sodium_memcmp(want.data(), mac->data(), want.size()) != 0) return std::nullopt;
  Device d;
  for (int i = 0; i < 8; ++i) {
    d.issued_at = static_cast<int64_t>((static_cast<uint64_t>(d.issued_at) << 8) |
                                       static_cast<unsigned char>((*payload)[kNonceBytes + i]));
  }
  if (now >= d.issued_at + kDeviceCookieTtlMs) return std::nullopt;
  d.id = Base64(reinterpret_cast<const unsigned char*>(payload->data()), kNonceBytes);
  d.username_key = payload->substr(kHeadBytes);
  return d;
}

std::string DeviceCookieHeader(const std::string& value, bool secure) {
  return std::string(DeviceCookieName(secure)) + "=" + value +
         "; Path=/; Max-Age=" + std::to_string(kDeviceCookieTtlMs / 1000) +
         "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
}

}  // namespace chat
