-- Version 17: mentions by person move from the index mentions_user to the
-- table mention_inbox, filled by a fan-out after the post instead of inside
-- it (issue 14, S11: a post naming 50 people wrote ~50 index pages). Every
-- existing mention is copied, so nothing waits for the fan-out; every row
-- of every table is kept. See schema.sql.
CREATE TABLE mention_inbox (
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  message_id  INTEGER NOT NULL,
  room_id     INTEGER NOT NULL,
  PRIMARY KEY (user_id, message_id)
) WITHOUT ROWID;
INSERT INTO mention_inbox (user_id, message_id, room_id)
  SELECT user_id, message_id, room_id FROM mentions;
CREATE TABLE mention_fanout (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  done        INTEGER NOT NULL
);
INSERT INTO mention_fanout (id, done)
  VALUES (1, (SELECT coalesce(max(message_id), 0) FROM mentions));
CREATE TRIGGER mention_gone AFTER DELETE ON mentions
BEGIN
  DELETE FROM mention_inbox WHERE user_id = OLD.user_id AND message_id = OLD.message_id;
END;
DROP INDEX mentions_user;
