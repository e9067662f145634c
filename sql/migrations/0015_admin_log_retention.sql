-- Version 14: the admin's audit log and per-room retention (issue 13). A new
-- table and a new nullable column: every existing row is kept as it was, and
-- every room keeps its messages forever (retention_days NULL) until its owner
-- says otherwise. See schema.sql.
ALTER TABLE rooms ADD COLUMN retention_days INTEGER CHECK (retention_days BETWEEN 1 AND 3650);
CREATE TABLE admin_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  actor_id    INTEGER,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  target      TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT ''
);
