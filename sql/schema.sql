-- Chatroom database schema, version 6 (the newest: see PRAGMA user_version at
-- the end). A database made by an older version is brought here by the
-- numbered files in sql/migrations/, applied in order by `chatctl migrate` and
-- by the programs at start; a change to this file needs such a migration too.
--
-- `sqlite3 chat.db < sql/schema.sql` makes a working database. The programs
-- open it with journal_mode=WAL and foreign_keys=ON; WAL is also set here
-- because it is a property of the file and persists. Times are INTEGER
-- milliseconds since the Unix epoch (UTC); the API formats them as RFC 3339.
PRAGMA journal_mode = WAL;
PRAGMA foreign_keys = ON;

BEGIN;

CREATE TABLE users (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- stable user id, shown in the API; never reused (a login
                                                    -- in flight or an old reference never names a newer account)
  username      TEXT NOT NULL,             -- as the user typed it: 3-32 of [A-Za-z0-9_.-]
  username_key  TEXT NOT NULL UNIQUE,      -- lower-cased username: uniqueness regardless of case
  password_hash TEXT NOT NULL,             -- libscrypt MCF string ($s1$...), never the password
  room_id       INTEGER REFERENCES rooms(id) ON DELETE SET NULL,  -- the one room the user is in, or NULL
  created_at    INTEGER NOT NULL,          -- ms since epoch
  disabled_at   INTEGER                    -- ms since epoch when an admin disabled the account, NULL while active
);
CREATE INDEX users_room ON users(room_id);  -- member counts and "who is inside"

CREATE TABLE sessions (
  token_hash  BLOB PRIMARY KEY,            -- BLAKE2b of the 128-bit token in the cookie (a leaked db gives no cookies)
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,  -- whose session
  created_at  INTEGER NOT NULL,            -- ms since epoch
  expires_at  INTEGER NOT NULL             -- ms since epoch; absolute end of the session
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);  -- revoke all of a user's sessions

CREATE TABLE rooms (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so an old link never opens a new room
  name        TEXT NOT NULL,               -- trimmed of blank characters, 1-64 characters, no control characters
  name_key    TEXT NOT NULL,               -- NFKC_Casefold of the name (core/text.h NameKey): one key for names that look the same
  owner_id    INTEGER NOT NULL REFERENCES users(id),  -- who may delete it
  created_at  INTEGER NOT NULL,            -- ms since epoch
  deleted_at  INTEGER                      -- ms since epoch when the owner deleted it; NULL while live.
                                           -- Kept so members still inside get 410 with the name.
);
CREATE UNIQUE INDEX rooms_live_name ON rooms(name_key) WHERE deleted_at IS NULL;
CREATE INDEX rooms_owner ON rooms(owner_id) WHERE deleted_at IS NULL;  -- live rooms per owner (CHAT_ROOMS_PER_USER)

CREATE TABLE messages (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- assigned in the write transaction: id order is commit order; never reused
  room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,  -- where it was posted
  user_id     INTEGER NOT NULL REFERENCES users(id),  -- author
  text        TEXT NOT NULL,               -- exactly as sent: valid UTF-8, no NUL, 1-4000 characters after trimming
  client_id   TEXT,                        -- optional id the client made for the message, so a retried send is stored once
  created_at  INTEGER NOT NULL             -- ms since epoch
);
CREATE INDEX messages_room ON messages(room_id, id);  -- polls (after=N) and history pages (before=N)
CREATE UNIQUE INDEX messages_client ON messages(user_id, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE post_buckets (
  user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,  -- one token bucket per poster
  tokens      REAL NOT NULL,               -- posts still allowed right now
  updated_at  INTEGER NOT NULL             -- ms since epoch of the last refill
);

CREATE TABLE login_failures (
  key         TEXT PRIMARY KEY,            -- "p:<username_key> <address>", "a:<address>", "u:<username_key>"
                                           -- or "d:<device cookie id>" (cgi-bin/core/throttle.h)
  level       REAL NOT NULL,               -- failed attempts still counted (leaks away over CHAT_LOGIN_WINDOW_MINUTES)
  updated_at  INTEGER NOT NULL             -- ms since epoch of the last change
) WITHOUT ROWID;

CREATE TABLE user_buckets (
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,  -- whose bucket
  action      TEXT NOT NULL,               -- what it limits: "room_create" or "membership" (join and leave)
  tokens      REAL NOT NULL,               -- actions still allowed right now
  updated_at  INTEGER NOT NULL,            -- ms since epoch of the last refill
  PRIMARY KEY (user_id, action)
) WITHOUT ROWID;

PRAGMA user_version = 6;

COMMIT;
