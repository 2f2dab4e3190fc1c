-- sspr schema, version 1 (PostgreSQL).
-- fingerprint holds the uint64 bit pattern as a signed bigint. The *_key columns hold the
-- lower-cased value (lowered by sspr, not the database, so both backends agree) in the "C"
-- collation: byte order, the order of listings.

CREATE TABLE users (
    id                               uuid        NOT NULL PRIMARY KEY,
    source                           text        NOT NULL CHECK (source IN ('directory', 'cloud')),
    anchor                           bytea       UNIQUE,               -- objectGUID / entryUUID; NULL for cloud users
    dn                               text        NOT NULL DEFAULT '',
    user_principal_name              text        NOT NULL,
    upn_key                          text        COLLATE "C" NOT NULL UNIQUE,
    display_name                     text        NOT NULL DEFAULT '',
    display_name_key                 text        COLLATE "C" NOT NULL DEFAULT '',
    mobile_phone_raw                 text        NOT NULL DEFAULT '',
    mobile_phone_number              text        NOT NULL DEFAULT '',
    mobile_phone_type                text        NOT NULL DEFAULT '',
    mobile_phone_problem             text        NOT NULL DEFAULT '',
    office_phone_raw                 text        NOT NULL DEFAULT '',
    office_phone_number              text        NOT NULL DEFAULT '',
    office_phone_type                text        NOT NULL DEFAULT '',
    office_phone_problem             text        NOT NULL DEFAULT '',
    alternate_emails                 text[]      NOT NULL DEFAULT '{}',
    account_enabled                  boolean     NOT NULL DEFAULT false,
    privileged                       boolean     NOT NULL DEFAULT false,
    authentication_phone             text        NOT NULL DEFAULT '',
    authentication_email             text        NOT NULL DEFAULT '',
    directory_fields                 text[]      NOT NULL DEFAULT '{}',
    directory_mobile_phone           text        NOT NULL DEFAULT '',
    mobile_phone_overridden          boolean     NOT NULL DEFAULT false,
    fingerprint                      bigint      NOT NULL DEFAULT 0,
    security_questions_count         integer     NOT NULL DEFAULT 0,
    security_questions_registered_at timestamptz,
    version                          bigint      NOT NULL,
    created_at                       timestamptz NOT NULL,
    updated_at                       timestamptz NOT NULL
);

CREATE TABLE sync_state (
    key        text        NOT NULL PRIMARY KEY,
    watermark  text        NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE sync_runs (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mode        text        NOT NULL,
    status      text        NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    added       integer     NOT NULL DEFAULT 0,
    updated     integer     NOT NULL DEFAULT 0,
    deleted     integer     NOT NULL DEFAULT 0,
    unchanged   integer     NOT NULL DEFAULT 0,
    rejected    integer     NOT NULL DEFAULT 0,
    errors      jsonb       NOT NULL DEFAULT '[]'
);

CREATE INDEX sync_runs_running ON sync_runs (status) WHERE status = 'running';
