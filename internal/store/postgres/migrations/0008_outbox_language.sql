-- sspr schema, version 8 (PostgreSQL): the language of each outbox message (a BCP 47 tag, the
-- one its text was composed in), so that a voice call is spoken in it; '' when unknown. The same
-- column as SQLite's version 10.

ALTER TABLE outbox_messages ADD COLUMN language text NOT NULL DEFAULT '';
