-- sspr schema, version 9 (SQLite): the user's preferred language as the directory says it
-- (directory.mapping.preferredLanguage, default the attribute preferredLanguage), read by each
-- sync; '' when it does not say. Scheduled messages (reminders, notices) are composed in it.

ALTER TABLE users ADD COLUMN preferred_language TEXT NOT NULL DEFAULT '';
