-- sspr schema, version 2 (PostgreSQL): what the web flows, the admin API and the outbox worker
-- keep. Column for column the same as the SQLite schema.
-- Rows that belong to a user go with it (ON DELETE CASCADE): a sync deleting a user, or
-- DeleteUser, removes its security answers, sessions and codes.

CREATE TABLE audit_events (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                  timestamptz NOT NULL,
    type                text        NOT NULL,
    actor               text        NOT NULL DEFAULT '',
    user_id             text        NOT NULL DEFAULT '',  -- no foreign key: the trail outlives the user
    user_principal_name text        NOT NULL DEFAULT '',
    upn_key             text        COLLATE "C" NOT NULL DEFAULT '',  -- lower-cased by sspr
    client_ip           text        NOT NULL DEFAULT '',
    user_agent          text        NOT NULL DEFAULT '',
    details             jsonb       NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_upn ON audit_events (upn_key, at);

CREATE TABLE api_tokens (
    id           text        NOT NULL PRIMARY KEY,
    name         text        NOT NULL,
    scopes       text[]      NOT NULL DEFAULT '{}',
    hash         bytea       NOT NULL UNIQUE,  -- SHA-256 of the secret
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- A name is unique among the tokens in use; revoked tokens keep theirs.
CREATE UNIQUE INDEX api_tokens_name ON api_tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE sessions (
    id         text        NOT NULL PRIMARY KEY,  -- hash of the browser's secret
    kind       text        NOT NULL,
    user_id    uuid        REFERENCES users (id) ON DELETE CASCADE,  -- NULL while unknown
    state      bytea       NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    version    bigint      NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE codes (
    id           text        NOT NULL PRIMARY KEY,
    session_id   text        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id      uuid        REFERENCES users (id) ON DELETE CASCADE,
    purpose      text        NOT NULL,
    destination  text        NOT NULL DEFAULT '',  -- masked
    mac          bytea       NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    max_attempts integer     NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    retired_at   timestamptz  -- set when a newer code of the same session and purpose replaced it
);

CREATE INDEX codes_session ON codes (session_id, purpose);
CREATE INDEX codes_user ON codes (user_id);
CREATE INDEX codes_expires ON codes (expires_at);
-- At most one live code per session and purpose.
CREATE UNIQUE INDEX codes_live ON codes (session_id, purpose) WHERE used_at IS NULL AND retired_at IS NULL;

CREATE TABLE throttle_events (
    id  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text        NOT NULL,
    at  timestamptz NOT NULL
);

CREATE INDEX throttle_events_key ON throttle_events (key, at);
CREATE INDEX throttle_events_at ON throttle_events (at);

CREATE TABLE throttle_locks (
    key          text        NOT NULL PRIMARY KEY,
    locked_until timestamptz NOT NULL
);

CREATE TABLE outbox_messages (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel         text        NOT NULL,
    recipient       text        NOT NULL,
    subject         text        NOT NULL DEFAULT '',
    body            bytea       NOT NULL DEFAULT '',  -- sealed by the sender; wiped once sent or failed
    status          text        NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,  -- NULL: not leased
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    last_error      text        NOT NULL DEFAULT ''
);

CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at) WHERE status = 'queued';

CREATE TABLE outbox_attempts (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id  bigint      NOT NULL REFERENCES outbox_messages (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    duration_ns bigint      NOT NULL,
    error       text        NOT NULL DEFAULT ''
);

CREATE INDEX outbox_attempts_message ON outbox_attempts (message_id, id);

CREATE TABLE security_answers (
    user_id      uuid    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    question_key text    NOT NULL,
    hash         text    NOT NULL,  -- Argon2id, PHC string
    PRIMARY KEY (user_id, position),
    UNIQUE (user_id, question_key)
);
