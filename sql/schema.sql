-- Chatroom database schema, version 17 (the newest: see PRAGMA user_version at
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
  disabled_at   INTEGER,                   -- ms since epoch when an admin disabled the account, NULL while active
  admin         INTEGER NOT NULL DEFAULT 0, -- 1: may delete any message in a room they are in (chatctl user admin NAME on)
  attention     INTEGER NOT NULL DEFAULT 0 -- bumped when something elsewhere calls for this user (a direct message, a
                                           -- mention added by an edit, their read mark moved; a new mention shows in
                                           -- mention_inbox instead): the poll's attention check (core/attention.h)
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
  deleted_at  INTEGER,                     -- ms since epoch when the owner deleted it; NULL while live.
                                           -- Kept so members still inside get 410 with the name.
  kind        TEXT NOT NULL DEFAULT 'open' CHECK (kind IN ('open', 'private')),  -- private: only room_members see it
  topic       TEXT NOT NULL DEFAULT '',    -- 0-250 characters, the name's text rules (core/validate.h)
  changed_seq INTEGER NOT NULL DEFAULT 0,  -- change-feed number of the last rename or topic change (core/feed.h);
                                           -- a poll after a smaller cursor carries the room. 0: never changed
  retention_days INTEGER CHECK (retention_days BETWEEN 1 AND 3650)  -- messages older than this many days are
                                           -- deleted for good (core/retention.h); NULL: kept forever
);
CREATE UNIQUE INDEX rooms_live_name ON rooms(name_key) WHERE deleted_at IS NULL;
CREATE INDEX rooms_owner ON rooms(owner_id) WHERE deleted_at IS NULL;  -- live rooms per owner (CHAT_ROOMS_PER_USER)

-- Who may see a private room (core/rooms.h CheckRoomAccess), apart from who
-- is inside it now (users.room_id). The creator is its owner member.
CREATE TABLE room_members (
  room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role        TEXT NOT NULL CHECK (role IN ('owner', 'member')),
  added_at    INTEGER NOT NULL,            -- ms since epoch
  hidden_after INTEGER,                    -- direct rooms: hidden from this member's list until a live message with a
                                           -- larger id arrives (or they open it again); NULL: shown
  PRIMARY KEY (room_id, user_id)           -- the access check: one primary-key read
) WITHOUT ROWID;
CREATE INDEX room_members_user ON room_members(user_id);  -- the private rooms a user may see

-- The two people of a direct room (POST /api/direct): a members-only room
-- (rooms.kind 'private', both in room_members) the API calls "direct". The
-- ordered pair is UNIQUE, so two POSTs at once make one room.
CREATE TABLE direct_rooms (
  room_id     INTEGER PRIMARY KEY REFERENCES rooms(id) ON DELETE CASCADE,
  user_low    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,  -- the smaller user id
  user_high   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,  -- the larger
  CHECK (user_low < user_high),
  UNIQUE (user_low, user_high)
);

-- Invite links to private rooms (POST /api/rooms/{id}/invites): anyone
-- logged in who brings the code before expires_at becomes a member. Only the
-- code's hash is kept (core/invites.h).
CREATE TABLE room_invites (
  code_hash   BLOB PRIMARY KEY,            -- BLAKE2b-256 of the 16 random bytes of the code, never the code
  room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  created_by  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,  -- the owner who made it
  created_at  INTEGER NOT NULL,            -- ms since epoch
  expires_at  INTEGER NOT NULL             -- ms since epoch: created_at + 7 days (DESIGN.md)
) WITHOUT ROWID;
CREATE INDEX room_invites_room ON room_invites(room_id);

-- Who the owner of an open room put out for good (DELETE
-- /api/rooms/{id}/members/{user} on an open room): their join answers 403
-- banned. The room stays listed to them (DESIGN.md "Who may see what").
CREATE TABLE room_bans (
  room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  banned_at   INTEGER NOT NULL,            -- ms since epoch
  PRIMARY KEY (room_id, user_id)           -- the join's check: one primary-key read
) WITHOUT ROWID;

CREATE TABLE messages (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- assigned in the write transaction: id order is commit order; never reused.
                                           -- Also the change feed's sequence: see seq.
  room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,  -- where it was posted
  user_id     INTEGER NOT NULL REFERENCES users(id),  -- author
  text        TEXT NOT NULL,               -- exactly as sent: valid UTF-8, no NUL, 1-4000 characters after trimming;
                                           -- '' once deleted (the text is gone, not hidden)
  client_id   TEXT,                        -- optional id the client made for the message, so a retried send is stored once
  created_at  INTEGER NOT NULL,            -- ms since epoch
  seq         INTEGER,                     -- change feed: the number of the message's last creation or change. One
                                           -- database-wide sequence numbers both, sqlite_sequence's row for 'messages':
                                           -- a new message's id is its creation number (messages_seq sets seq = id), a
                                           -- change takes the next number (core/feed.h). Polls read (room_id, seq).
  edited_at   INTEGER,                     -- ms since epoch of the last edit, NULL if never edited
  deleted_at  INTEGER,                     -- ms since epoch when deleted (text emptied, reactions removed), NULL while live
  reply_to    INTEGER                      -- id of the message this one answers (same room), or NULL. No foreign key:
                                           -- the original may be deleted or gone, and then the reply says so.
);
CREATE INDEX messages_room ON messages(room_id, id, user_id, deleted_at);  -- history pages (before=N), the latest
                                           -- page, and unread counts from the index alone (core/attention.h)
CREATE INDEX messages_feed ON messages(room_id, seq);  -- polls (after=N): one range read of changes
CREATE UNIQUE INDEX messages_client ON messages(user_id, client_id) WHERE client_id IS NOT NULL;
-- A row inserted without seq (every post; also sqlite3 by hand, the bench's
-- seed loader) gets its creation number, its id.
CREATE TRIGGER messages_seq AFTER INSERT ON messages WHEN NEW.seq IS NULL
BEGIN
  UPDATE messages SET seq = NEW.id WHERE id = NEW.id;
END;

-- Full-text search (cgi-bin/search.cpp, migration 0014): an FTS5 index over
-- messages.text with the trigram tokenizer (parts of words, text without
-- spaces: https://sqlite.org/fts5.html#the_trigram_tokenizer). External
-- content: the text is stored once, in messages. The triggers keep it in
-- step in the same transaction as every post, edit and deletion, one entry
-- per message; a deleted message's text is '', an entry no search matches. The 'delete' form must be
-- given the old text exactly (https://sqlite.org/fts5.html#external_content_tables).
-- detail='none': the index keeps which messages hold a trigram, not where
-- (https://sqlite.org/fts5.html#the_detail_option). With positions, a
-- message of 2,000 'x' put 1,998 positions under the one trigram 'xxx', and
-- FTS5 merges a term's whole list in one go (it stops merging only between
-- terms), so merges inside a post wrote up to 4 MB at once and the WAL
-- outgrew its bound (tests/api/wal.test.mjs; README "Search"). Without
-- positions a post adds a few bytes per distinct trigram; search.cpp
-- checks each candidate's text for the terms themselves.
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id',
  tokenize='trigram', detail='none');
-- No crisis merges: by default a level of 16 segments is merged whole in
-- one step, which on a 200,000-message index wrote 4,973 pages (20 MB) in
-- one post's transaction; FTS5's automatic merges, done in slices after
-- every 64 leaves written, keep the levels short without it (largest step
-- seen: 740 pages). 1999 is the most FTS5 takes
-- (https://sqlite.org/fts5.html#the_crisismerge_configuration_option);
-- the setting is stored in messages_fts_config, so every connection has it.
INSERT INTO messages_fts(messages_fts, rank) VALUES ('crisismerge', 1999);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
BEGIN
  INSERT INTO messages_fts(rowid, text) VALUES (NEW.id, NEW.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', OLD.id, OLD.text);
  INSERT INTO messages_fts(rowid, text) VALUES (NEW.id, NEW.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', OLD.id, OLD.text);
END;

CREATE TABLE reactions (
  id          INTEGER PRIMARY KEY,         -- order of use: a message lists its emoji in order of first use
  message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,  -- the message reacted to
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,     -- who reacted
  emoji       TEXT NOT NULL,               -- one emoji: one grapheme cluster, at most 8 code points
  created_at  INTEGER NOT NULL             -- ms since epoch
);
CREATE UNIQUE INDEX reactions_once ON reactions(message_id, emoji, user_id);  -- adding twice changes nothing

-- Read marks (POST /api/rooms/{id}/read, issue 14): the last message a
-- person has read in a room; it only ever moves forward. Without a row: a
-- member of a private or direct room has read nothing (mark 0); in an open
-- room never entered only mentions count as unread; the first join of an
-- open room starts the mark at its newest message (core/attention.h).
CREATE TABLE read_marks (
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  message_id  INTEGER NOT NULL,            -- messages with a larger id are unread (counted up to 100)
  PRIMARY KEY (user_id, room_id)           -- the room list reads a user's marks as one range
) WITHOUT ROWID;
CREATE INDEX read_marks_room ON read_marks(room_id);  -- ON DELETE CASCADE when a room row goes

-- Mentions (issue 14): who a message names as @username, among the people
-- allowed in its room when it was posted or last edited (never its author).
-- Rows go with the message (deleted: removed; edited: made again). Written
-- by the post's own transaction, clustered by message: the 50 people one
-- post names are one or two pages (core/mentions.h).
CREATE TABLE mentions (
  message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,  -- who is mentioned
  room_id     INTEGER NOT NULL,            -- the message's room (copied: the per-room unread count)
  PRIMARY KEY (message_id, user_id)        -- a message's "mentions"
) WITHOUT ROWID;
-- The same mentions by person (GET /api/mentions, unread mentions per room,
-- the poll's attention check), copied from `mentions` by the fan-out
-- (core/mentions.h FanOutMentions) shortly after the post, many posts at a
-- time: each person's entries sit on a page of their own, so writing them
-- in the post itself cost a post naming 50 people ~50 pages (issue 14, S11).
-- Readers add the mentions not yet copied (message_id > mention_fanout.done).
CREATE TABLE mention_inbox (
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  message_id  INTEGER NOT NULL,
  room_id     INTEGER NOT NULL,
  PRIMARY KEY (user_id, message_id)        -- a person's mentions, newest last
) WITHOUT ROWID;
-- One row: every mention of a message up to `done` is in mention_inbox
-- (message ids are commit order, core/feed.h); those after it are not yet.
CREATE TABLE mention_fanout (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  done        INTEGER NOT NULL             -- a message id; 0: none copied yet
);
INSERT INTO mention_fanout (id, done) VALUES (1, 0);
-- A mention that goes (its message deleted or edited, its person deleted,
-- by any path, cascades included) leaves the inbox with it.
CREATE TRIGGER mention_gone AFTER DELETE ON mentions
BEGIN
  DELETE FROM mention_inbox WHERE user_id = OLD.user_id AND message_id = OLD.message_id;
END;

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

-- Files and images shared in a room (POST /api/rooms/{id}/files, issue 16).
-- The bytes live beside chat.db, in CHAT_FILES_DIR (core/blobs.h), named by
-- their SHA-256: this table says who may read them and what they are. A
-- row with message_id NULL is an upload not yet posted; it is removed an
-- hour after created_at (CHAT_FILE_UNPOSTED_MINUTES). Deleting a row (by
-- hand, or by the cascades from messages, rooms and users) puts its blobs
-- in blob_trash (trigger files_trash); core/blobs.h EmptyBlobTrash removes
-- from disk those no row names any more.
CREATE TABLE files (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- the attachment id in the API; never reused
  room_id       INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,  -- the room it was uploaded to
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,  -- who uploaded it
  message_id    INTEGER REFERENCES messages(id) ON DELETE CASCADE,  -- the message that carries it; NULL until posted
  position      INTEGER NOT NULL DEFAULT 0,  -- its place among the message's attachments (0-9)
  name          TEXT NOT NULL,               -- file name as sent, without any folder: 1-255 characters, no control characters
  type          TEXT NOT NULL,               -- image/png, image/jpeg, image/gif, image/webp for a decoded image; otherwise the
                                             -- type the browser declared (shown only; served as application/octet-stream)
  image         INTEGER NOT NULL DEFAULT 0,  -- 1: decoded by libvips, metadata removed, served inline with `type`
  size          INTEGER NOT NULL,            -- bytes stored (an image: after its metadata was removed)
  width         INTEGER,                     -- images: pixels; NULL otherwise
  height        INTEGER,                     -- images: pixels; NULL otherwise
  blob          TEXT NOT NULL,               -- SHA-256 (hex) of the stored bytes: the file's name under CHAT_FILES_DIR
  thumb_blob    TEXT,                        -- images: SHA-256 of the WebP thumbnail (at most 400x400); NULL otherwise
  created_at    INTEGER NOT NULL             -- ms since epoch of the upload
);
CREATE INDEX files_message ON files(message_id, position);  -- a message's attachments, in order
CREATE INDEX files_unposted ON files(created_at) WHERE message_id IS NULL;  -- the hourly clean-up
CREATE INDEX files_user ON files(user_id);  -- per-user quota (CHAT_FILE_USER_QUOTA_MB)
CREATE INDEX files_room ON files(room_id);  -- a deleted room's uploads
CREATE INDEX files_blob ON files(blob);     -- is a blob still named? (blob_trash, chatctl check)
CREATE INDEX files_thumb_blob ON files(thumb_blob) WHERE thumb_blob IS NOT NULL;
-- Blobs that a deleted files row named: candidates for removal from disk,
-- checked and removed inside a write transaction (so an upload of the same
-- bytes, which renames its file into place in one too, never loses it).
CREATE TABLE blob_trash (
  blob          TEXT PRIMARY KEY             -- SHA-256 (hex) of a blob that may no longer be named
) WITHOUT ROWID;
CREATE TRIGGER files_trash AFTER DELETE ON files
BEGIN
  INSERT OR IGNORE INTO blob_trash (blob) VALUES (OLD.blob);
  INSERT OR IGNORE INTO blob_trash (blob) SELECT OLD.thumb_blob WHERE OLD.thumb_blob IS NOT NULL;
END;
-- Everything an admin did with an admin's power, and every change chatctl
-- made (core/audit.h): who, when, what, to what. Read with `chatctl audit`.
-- Kept when the actor's account is deleted (no foreign key: the name stays).
CREATE TABLE admin_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- order of the actions
  at          INTEGER NOT NULL,            -- ms since epoch
  actor_id    INTEGER,                     -- the admin's user id; NULL for chatctl
  actor       TEXT NOT NULL,               -- the admin's username at the time, or "chatctl"
  action      TEXT NOT NULL,               -- "room_delete", "message_delete", "user_disable", "prune" ...
  target      TEXT NOT NULL,               -- what it was done to: "room 3 (General)", "user 7 (bob)" ...
  detail      TEXT NOT NULL DEFAULT ''     -- anything more (counts, the new value)
);

PRAGMA user_version = 17;

COMMIT;
