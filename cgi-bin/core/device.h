// Device cookies: a browser that has logged in to an account before is not
// held back by the per-address login limit, so an attacker guessing at other
// accounts from a shared address (an office or campus NAT) cannot lock the
// real owner out. This is OWASP's "Slow Down Online Guessing Attacks with
// Device Cookies"
// (https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies): each
// successful login (and sign-up) sets a cookie naming the account, signed by the server; a login
// for that same account carrying a valid one is a "trusted client" (throttle.h says how it is
// counted instead).
//
// The value is base64url(nonce[16] | issued_at ms, 8 bytes big-endian |
// username key) "." base64url(HMAC-SHA256(payload)). The HMAC key is derived
// from the session key (libsodium crypto_kdf, its own context), so the two
// kinds of cookie can never be swapped, and `chatctl secret rotate` voids
// both. Nothing is stored: the nonce names the device's own failure bucket.
// A cookie older than kDeviceCookieTtlMs is refused even if the browser
// still sends it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "session.h"

namespace chat {

constexpr const char* kDeviceCookie = "chat_device";
// Over HTTPS: the __Host- prefix, like the session cookie (session.h).
constexpr const char* kSecureDeviceCookie = "__Host-chat_device";
constexpr int64_t kDeviceCookieTtlMs = 180LL * 24 * 3600 * 1000;

inline const char* DeviceCookieName(bool https) {
  return https ? kSecureDeviceCookie : kDeviceCookie;
}

struct Device {
  std::string username_key;  // the account it was issued for
  std::string id;            // base64url of the nonce: names its failure bucket
  int64_t issued_at = 0;     // ms since epoch
};

// A new device cookie value for the account, issued now.
std::string MakeDeviceCookie(const SessionKey& key, const std::string& username_key, int64_t now);
// The device named by a well-formed, correctly signed (checked in constant
// time), canonical and unexpired cookie value; nullopt otherwise.
std::optional<Device> VerifyDeviceCookie(const std::string& value, const SessionKey& key,
                                         int64_t now);
// The Set-Cookie header value: HttpOnly, SameSite=Strict (only the site's own
// login sends it), Path=/, Secure over HTTPS, for kDeviceCookieTtlMs.
std::string DeviceCookieHeader(const std::string& value, bool secure);

}  // namespace chat
