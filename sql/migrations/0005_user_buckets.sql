-- Version 5: abuse limits per user (cgi-bin/core/throttle.h). Creating rooms
-- and joining or leaving them each spend a token from the user's bucket of
-- that kind; live rooms per owner are counted through rooms_owner.
CREATE TABLE user_buckets (
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,  -- whose bucket
  action      TEXT NOT NULL,               -- what it limits: "room_create" or "membership" (join and leave)
  tokens      REAL NOT NULL,               -- actions still allowed right now
  updated_at  INTEGER NOT NULL,            -- ms since epoch of the last refill
  PRIMARY KEY (user_id, action)
) WITHOUT ROWID;
CREATE INDEX rooms_owner ON rooms(owner_id) WHERE deleted_at IS NULL;  -- live rooms per owner (CHAT_ROOMS_PER_USER)
