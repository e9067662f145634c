-- Version 14: full-text search (DESIGN.md "Version 2", issue 15). An FTS5
-- index over messages.text with the trigram tokenizer, so a search finds
-- parts of words and text written without spaces (Chinese, Japanese, Thai):
-- https://sqlite.org/fts5.html#the_trigram_tokenizer. External content
-- (content='messages'): the index holds no second copy of the text. The
-- triggers keep it in step in the writer's own transaction, one entry per
-- row of messages; a deleted message's text is '', an entry with no trigram
-- that no search can match (and FTS5's integrity check with rank=1, which
-- compares the index with messages, holds). 'rebuild' indexes every
-- existing message; no row of messages changes.
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
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
