// Password hashing with libscrypt at explicit parameters from OWASP's scrypt
// table: N=2^15, r=8, p=3 (32 MiB, about a quarter second here). Hashes are
// MCF strings ($s1$...) that carry their own parameters and salt, so the
// parameters can rise later without invalidating old hashes.
#pragma once

#include <optional>
#include <string>

namespace chat {

constexpr unsigned kScryptLogN = 15;
constexpr unsigned kScryptR = 8;
constexpr unsigned kScryptP = 3;

// MCF hash of the password with a fresh random salt; nullopt if libscrypt fails.
std::optional<std::string> HashPassword(const std::string& password);
// True only when the hash is well formed (libscrypt's exact shape, sane
// parameters) and libscrypt_check says 1; anything else is a mismatch.
bool CheckPassword(const std::string& mcf, const std::string& password);
// Spends the same time as CheckPassword against a real hash, for unknown
// users, so timing does not tell which usernames exist.
void CheckPasswordAgainstDummy(const std::string& password);

}  // namespace chat
