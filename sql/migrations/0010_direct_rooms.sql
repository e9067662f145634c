-- Version 10: direct rooms of two people (DESIGN.md "Version 2", issue 13).
-- A direct room is a members-only room (rooms.kind 'private', so the one
-- access rule, core/rooms.h CheckRoomAccess, covers it with no new branch)
-- with a direct_rooms row naming its two people; the API calls it kind
-- "direct". New table and a new nullable column: every existing row is kept
-- as it was (https://sqlite.org/lang_altertable.html). See schema.sql.
CREATE TABLE direct_rooms (
  room_id     INTEGER PRIMARY KEY REFERENCES rooms(id) ON DELETE CASCADE,
  user_low    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  user_high   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  CHECK (user_low < user_high),
  UNIQUE (user_low, user_high)
);
ALTER TABLE room_members ADD COLUMN hidden_after INTEGER;
