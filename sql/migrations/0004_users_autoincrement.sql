-- Version 4: user ids are never reused. Without AUTOINCREMENT SQLite gives a
-- new row max(id)+1, so deleting the newest account handed its id to the next
-- sign-up, and anything still holding the old id (a login in flight, a log
-- line, an admin's note) then named someone else. With AUTOINCREMENT the
-- largest id ever used is kept in sqlite_sequence (https://sqlite.org/autoinc.html).
-- SQLite cannot add AUTOINCREMENT to a table in place, so the table is built
-- again the way https://sqlite.org/lang_altertable.html#otheralter says
-- (new table, copy every row with its id, drop, rename, indexes again); the
-- runner does this with foreign_keys off and runs foreign_key_check before it
-- commits (core/migrate.h). The ids of accounts deleted before this migration
-- are unknowable; from here on none is handed out twice.
CREATE TABLE users_new (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- stable user id, shown in the API; never reused
  username      TEXT NOT NULL,             -- as the user typed it: 3-32 of [A-Za-z0-9_.-]
  username_key  TEXT NOT NULL UNIQUE,      -- lower-cased username: uniqueness regardless of case
  password_hash TEXT NOT NULL,             -- libscrypt MCF string ($s1$...), never the password
  room_id       INTEGER REFERENCES rooms(id) ON DELETE SET NULL,  -- the one room the user is in, or NULL
  created_at    INTEGER NOT NULL,          -- ms since epoch
  disabled_at   INTEGER                    -- ms since epoch when an admin disabled the account, NULL while active
);
INSERT INTO users_new (id, username, username_key, password_hash, room_id, created_at, disabled_at)
  SELECT id, username, username_key, password_hash, room_id, created_at, disabled_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_room ON users(room_id);  -- member counts and "who is inside"
