-- Version 9: bans of open rooms (DESIGN.md "Version 2", issue 13). A new
-- table, so every existing row stays as it was (no room has a ban yet). See
-- schema.sql for each column.
CREATE TABLE room_bans (
  room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  banned_at   INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
