-- sspr schema, version 5 (SQLite): when the user's password expires by the directory's policy
-- (microseconds since the Unix epoch, UTC), read by each sync; NULL when it never expires or the
-- directory does not say.

ALTER TABLE users ADD COLUMN password_expires_at INTEGER;
