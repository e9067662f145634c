// See invites.h.
#include "invites.h"

#include <sodium.h>

#include <cstring>

namespace chat {
namespace {

constexpr int kB64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
constexpr size_t kCodeBytes = 16;  // 128 bits
constexpr size_t kCodeChars = 22;  // base64url of 16 bytes, no padding

InviteHash Hash(const unsigned char* bytes) {
  InviteHash h{};
  crypto_generichash(h.data(), h.size(), bytes, kCodeBytes, nullptr, 0);
  return h;
}

}  // namespace

NewInvite MakeInviteCode() {
  unsigned char bytes[kCodeBytes];
  randombytes_buf(bytes, sizeof bytes);
  NewInvite invite;
  invite.code.assign(sodium_base64_encoded_len(kCodeBytes, kB64), '\0');
  sodium_bin2base64(invite.code.data(), invite.code.size(), bytes, kCodeBytes, kB64);
  invite.code.resize(strlen(invite.code.c_str()));
  invite.hash = Hash(bytes);
  return invite;
}

std::optional<InviteHash> HashInviteCode(const std::string& code) {
  if (code.size() != kCodeChars) return std::nullopt;
  unsigned char bytes[kCodeBytes];
  size_t got = 0;
  if (sodium_base642bin(bytes, sizeof bytes, code.data(), code.size(), nullptr, &got, nullptr,
                        kB64) != 0 ||
      got != kCodeBytes) {
    return std::nullopt;
  }
  return Hash(bytes);
}

}  // namespace chat
