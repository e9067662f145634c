-- Version 8: room kinds, topics and the members of private rooms (DESIGN.md
-- "Version 2", issue 13). Every existing room is open with an empty topic;
-- columns are added in place (ALTER TABLE ADD COLUMN keeps every row:
-- https://sqlite.org/lang_altertable.html). See schema.sql for each column.
ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'open' CHECK (kind IN ('open', 'private'));
ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
CREATE TABLE room_members (
  room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role        TEXT NOT NULL CHECK (role IN ('owner', 'member')),
  added_at    INTEGER NOT NULL,
  PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX room_members_user ON room_members(user_id);
