-- sspr schema, version 3 (PostgreSQL): when the user's password expires by the directory's
-- policy, read by each sync; NULL when it never expires or the directory does not say. The same
-- column as SQLite's version 5.

ALTER TABLE users ADD COLUMN password_expires_at timestamptz;
