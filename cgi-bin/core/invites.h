// Invite codes of private rooms (issue 13): POST /api/rooms/{id}/invites
// makes one, POST /api/invites/accept spends it. A code is 128 random bits
// from libsodium (randombytes_buf), base64url without padding (22
// characters), as a session token is. The database keeps only its BLAKE2b
// hash (crypto_generichash), for the reason sessions do (core/session.h): a
// copy of chat.db (a backup, a support bundle) must not hold working links
// into private rooms. 128 bits cannot be guessed, so accepting needs no
// rate limit of its own (OWASP ASVS V3.2.2: at least 64 bits of entropy).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace chat {

using InviteHash = std::array<unsigned char, 32>;

struct NewInvite {
  std::string code;  // what the link carries; never stored
  InviteHash hash{};
};

constexpr int64_t kInviteLifetimeMs = 7LL * 24 * 60 * 60 * 1000;  // DESIGN.md: 7 days

NewInvite MakeInviteCode();
// The hash of a well-formed code (exactly 22 base64url characters of 16
// bytes); nullopt for anything else, which no stored invite can match.
std::optional<InviteHash> HashInviteCode(const std::string& code);

}  // namespace chat
