-- Version 12: a room's rename or new topic reaches the people inside on
-- their next poll (issue 13, "the change reaches people inside within a poll
-- or a push event"). rooms.changed_seq holds the change-feed number of the
-- room's last PATCH (core/feed.h NextChangeNumber); 0 for a room never
-- changed. A new column with a default: every existing row is kept as it
-- was. See schema.sql.
ALTER TABLE rooms ADD COLUMN changed_seq INTEGER NOT NULL DEFAULT 0;
