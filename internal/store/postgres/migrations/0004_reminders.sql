-- sspr schema, version 4 (PostgreSQL): the password expiry reminders sent, one row per user,
-- expiry and threshold (days before the expiry), written before the reminder is queued so that
-- each is sent at most once across restarts and instances. The same table as SQLite's version 6.

CREATE TABLE password_reminders (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    threshold  integer     NOT NULL,
    sent_at    timestamptz NOT NULL,
    PRIMARY KEY (user_id, expires_at, threshold)
);
