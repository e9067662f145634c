-- Version 7: the change feed, edits, deletions, replies and reactions.
-- Every existing message gets its id as its change number (nothing has
-- changed yet), so every cursor handed out before stays valid: after=N still
-- means "everything since message N". New columns are added in place
-- (ALTER TABLE ADD COLUMN keeps every row: https://sqlite.org/lang_altertable.html);
-- see schema.sql for what each one holds.
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN seq INTEGER;
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
ALTER TABLE messages ADD COLUMN reply_to INTEGER;
UPDATE messages SET seq = id;
CREATE INDEX messages_feed ON messages(room_id, seq);
CREATE TRIGGER messages_seq AFTER INSERT ON messages WHEN NEW.seq IS NULL
BEGIN
  UPDATE messages SET seq = NEW.id WHERE id = NEW.id;
END;
CREATE TABLE reactions (
  id          INTEGER PRIMARY KEY,
  message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  emoji       TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX reactions_once ON reactions(message_id, emoji, user_id);
