-- sspr schema, version 10 (SQLite): the language of each outbox message (a BCP 47 tag, the one
-- its text was composed in), so that a voice call is spoken in it; '' when unknown (messages
-- queued before this version, administrators' mails): the channel's configured language.

ALTER TABLE outbox_messages ADD COLUMN language TEXT NOT NULL DEFAULT '';
