-- Version 13: read marks, mentions and the attention counter (DESIGN.md
-- "Version 2", issue 14). Two new tables and a new column with a default:
-- every existing row is kept as it was (https://sqlite.org/lang_altertable.html).
-- No read mark yet means what schema.sql says (core/attention.h). See schema.sql.
CREATE TABLE read_marks (
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  room_id     INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  message_id  INTEGER NOT NULL,
  PRIMARY KEY (user_id, room_id)
) WITHOUT ROWID;
CREATE INDEX read_marks_room ON read_marks(room_id);
CREATE TABLE mentions (
  message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  room_id     INTEGER NOT NULL,
  PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;
CREATE INDEX mentions_user ON mentions(user_id, message_id, room_id);
ALTER TABLE users ADD COLUMN attention INTEGER NOT NULL DEFAULT 0;
-- The history index grows two columns so an unread count (others' live
-- messages after a mark) reads the index alone, never the table.
DROP INDEX messages_room;
CREATE INDEX messages_room ON messages(room_id, id, user_id, deleted_at);
