// Accounts as the programs and chatctl share them: creating a user is one
// place, so the web sign-up and `chatctl user add` keep the same rules for
// the case-insensitive uniqueness key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "db.h"

namespace chat {

// Inserts the user with an already computed password hash; nullopt when the
// username is taken regardless of case. Call inside a write transaction.
std::optional<int64_t> InsertUser(Db& db, const std::string& username,
                                  const std::string& password_hash);

}  // namespace chat
