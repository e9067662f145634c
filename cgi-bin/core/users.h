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

// True when the account a login checked is still as it was: the row with
// this id exists, still has this password hash (salted, so a reset to the
// same password differs too) and is not disabled. Call inside the write
// transaction that then creates the session, so no password change, admin
// reset, disable or delete can fall between the check and the session: a
// session is only ever bound to the credential that was checked.
bool AccountUnchanged(Db& db, int64_t id, const std::string& password_hash);

}  // namespace chat
