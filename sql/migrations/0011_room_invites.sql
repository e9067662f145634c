-- Version 11: invite links to private rooms (DESIGN.md "Version 2", issue
-- 13). A new table: every existing row is kept as it was. See schema.sql.
CREATE TABLE room_invites (
  code_hash   BLOB PRIMARY KEY,
  room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  created_by  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX room_invites_room ON room_invites(room_id);
