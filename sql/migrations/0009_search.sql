-- Version 9: full-text search (DESIGN.md "Version 2", issue 15). An FTS5
-- index over messages.text with the trigram tokenizer, so a search finds
-- parts of words and text written without spaces (Chinese, Japanese, Thai):
-- https://sqlite.org/fts5.html#the_trigram_tokenizer. External content
-- (content='messages'): the index holds no second copy of the text. The
-- triggers keep it in step in the writer's own transaction; a deleted
-- message ('' text) leaves it. Every existing live message is indexed here,
-- as the insert trigger would have (not 'rebuild', which would also give
-- deleted messages an empty entry); no row of messages changes.
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id',
  tokenize='trigram');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN NEW.text <> ''
BEGIN
  INSERT INTO messages_fts(rowid, text) VALUES (NEW.id, NEW.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text)
    SELECT 'delete', OLD.id, OLD.text WHERE OLD.text <> '';
  INSERT INTO messages_fts(rowid, text) SELECT NEW.id, NEW.text WHERE NEW.text <> '';
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN OLD.text <> ''
BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', OLD.id, OLD.text);
END;
INSERT INTO messages_fts(rowid, text) SELECT id, text FROM messages WHERE text <> '';
