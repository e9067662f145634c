-- Version 2: an admin can disable an account (`chatctl user disable`).
-- A disabled user cannot log in and every session of theirs is refused; the
-- account and its messages stay. NULL while the account is active.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;  -- ms since epoch when disabled, NULL while active
