-- sspr schema, version 7 (PostgreSQL): the user's preferred language as the directory says it,
-- read by each sync; '' when it does not say. The same column as SQLite's version 9.

ALTER TABLE users ADD COLUMN preferred_language text NOT NULL DEFAULT '';
