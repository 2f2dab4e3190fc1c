-- sspr schema, version 6 (SQLite): the password expiry reminders sent, one row per user, expiry
-- and threshold (days before the expiry), written before the reminder is queued so that each is
-- sent at most once across restarts. A new password (a new expiry) has no rows yet.

CREATE TABLE password_reminders (
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,  -- microseconds since the Unix epoch, UTC
    threshold  INTEGER NOT NULL,  -- days before expires_at
    sent_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, expires_at, threshold)
);
