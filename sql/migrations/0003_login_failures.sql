-- Version 3: login throttling (cgi-bin/core/throttle.h). Failed logins are
-- counted in leaky buckets per (account, address), per address and per
-- account; a bucket that drained completely is deleted again.
CREATE TABLE login_failures (
  key         TEXT PRIMARY KEY,            -- "p:<username_key> <address>", "a:<address>" or "u:<username_key>"
  level       REAL NOT NULL,               -- failed attempts still counted (leaks away over CHAT_LOGIN_WINDOW_MINUTES)
  updated_at  INTEGER NOT NULL             -- ms since epoch of the last change
) WITHOUT ROWID;
