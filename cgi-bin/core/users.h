// Accounts as the programs and chatctl share them: creating a user is one
// place, so the web sign-up and `chatctl user add` keep the same rules for
// the case-insensitive uniqueness key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "db.h"
#include "streams.h"

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

// What SetDisabled did.
struct DisableResult {
  int sessions_ended = 0;
  // Disabling: the user's event streams, for RevokeStreams after the commit
  // (core/streams.h), so an open push stream ends at once too.
  std::vector<StreamId> streams;
};

// Disables (`disabled`) or enables account `id`, inside the caller's write
// transaction; the one implementation behind `chatctl user disable|enable`
// and POST /api/admin/users/{id}. Disabling keeps the first disabled_at,
// deletes every session of the account (its cookies are refused from the
// next request on) and names its streams to close; the account, its
// messages and rooms stay. The account must exist.
DisableResult SetDisabled(Db& db, int64_t id, bool disabled, int64_t now_ms);

}  // namespace chat
