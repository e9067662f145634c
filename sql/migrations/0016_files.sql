-- Version 16: files and images (DESIGN.md "Version 2", issue 16). New
-- tables and a trigger: every existing row is kept as it was. See schema.sql.
CREATE TABLE files (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  room_id       INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  message_id    INTEGER REFERENCES messages(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL DEFAULT 0,
  name          TEXT NOT NULL,
  type          TEXT NOT NULL,
  image         INTEGER NOT NULL DEFAULT 0,
  size          INTEGER NOT NULL,
  width         INTEGER,
  height        INTEGER,
  blob          TEXT NOT NULL,
  thumb_blob    TEXT,
  created_at    INTEGER NOT NULL
);
CREATE INDEX files_message ON files(message_id, position);
CREATE INDEX files_unposted ON files(created_at) WHERE message_id IS NULL;
CREATE INDEX files_user ON files(user_id);
CREATE INDEX files_room ON files(room_id);
CREATE INDEX files_blob ON files(blob);
CREATE INDEX files_thumb_blob ON files(thumb_blob) WHERE thumb_blob IS NOT NULL;
CREATE TABLE blob_trash (
  blob          TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TRIGGER files_trash AFTER DELETE ON files
BEGIN
  INSERT OR IGNORE INTO blob_trash (blob) VALUES (OLD.blob);
  INSERT OR IGNORE INTO blob_trash (blob) SELECT OLD.thumb_blob WHERE OLD.thumb_blob IS NOT NULL;
END;
