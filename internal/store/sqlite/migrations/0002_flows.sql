-- sspr schema, version 2 (SQLite): what the web flows, the admin API and the outbox worker keep.
-- Same conventions as version 1: times are INTEGER microseconds since the Unix epoch (UTC),
-- string lists are JSON arrays, string maps JSON objects, in TEXT.
-- Rows that belong to a user go with it (ON DELETE CASCADE): a sync deleting a user, or
-- DeleteUser, removes its security answers, sessions and codes.

CREATE TABLE audit_events (
    id                  INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    at                  INTEGER NOT NULL,
    type                TEXT    NOT NULL,
    actor               TEXT    NOT NULL DEFAULT '',
    user_id             TEXT    NOT NULL DEFAULT '',  -- no foreign key: the trail outlives the user
    user_principal_name TEXT    NOT NULL DEFAULT '',
    upn_key             TEXT    NOT NULL DEFAULT '',  -- lower-cased user_principal_name
    client_ip           TEXT    NOT NULL DEFAULT '',
    user_agent          TEXT    NOT NULL DEFAULT '',
    details             TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_upn ON audit_events (upn_key, at);

CREATE TABLE api_tokens (
    id           TEXT    NOT NULL PRIMARY KEY,
    name         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL DEFAULT '[]',
    hash         BLOB    NOT NULL UNIQUE,  -- SHA-256 of the secret
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

-- A name is unique among the tokens in use; revoked tokens keep theirs.
CREATE UNIQUE INDEX api_tokens_name ON api_tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE sessions (
    id         TEXT    NOT NULL PRIMARY KEY,  -- hash of the browser's secret
    kind       TEXT    NOT NULL,
    user_id    TEXT    REFERENCES users (id) ON DELETE CASCADE,  -- NULL while unknown
    state      BLOB    NOT NULL DEFAULT x'',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    version    INTEGER NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE codes (
    id           TEXT    NOT NULL PRIMARY KEY,
    session_id   TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id      TEXT    REFERENCES users (id) ON DELETE CASCADE,
    purpose      TEXT    NOT NULL,
    destination  TEXT    NOT NULL DEFAULT '',  -- masked
    mac          BLOB    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER,
    retired_at   INTEGER  -- set when a newer code of the same session and purpose replaced it
);

CREATE INDEX codes_session ON codes (session_id, purpose);
CREATE INDEX codes_user ON codes (user_id);
CREATE INDEX codes_expires ON codes (expires_at);
-- At most one live code per session and purpose.
CREATE UNIQUE INDEX codes_live ON codes (session_id, purpose) WHERE used_at IS NULL AND retired_at IS NULL;

CREATE TABLE throttle_events (
    id  INTEGER NOT NULL PRIMARY KEY,
    key TEXT    NOT NULL,
    at  INTEGER NOT NULL
);

CREATE INDEX throttle_events_key ON throttle_events (key, at);
CREATE INDEX throttle_events_at ON throttle_events (at);

CREATE TABLE throttle_locks (
    key          TEXT    NOT NULL PRIMARY KEY,
    locked_until INTEGER NOT NULL
);

CREATE TABLE outbox_messages (
    id              INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    channel         TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL DEFAULT '',
    body            BLOB    NOT NULL DEFAULT x'',  -- sealed by the sender; wiped once sent or failed
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,  -- NULL: not leased
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at) WHERE status = 'queued';

CREATE TABLE outbox_attempts (
    id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    message_id  INTEGER NOT NULL REFERENCES outbox_messages (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    duration_ns INTEGER NOT NULL,
    error       TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX outbox_attempts_message ON outbox_attempts (message_id, id);

CREATE TABLE security_answers (
    user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    question_key TEXT    NOT NULL,
    hash         TEXT    NOT NULL,  -- Argon2id, PHC string
    PRIMARY KEY (user_id, position),
    UNIQUE (user_id, question_key)
);
