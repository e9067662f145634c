-- Version 9: full-text search (DESIGN.md "Version 2", issue 15). An FTS5
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
