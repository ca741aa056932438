-- Users, sessions, API tokens, the first-admin setup link, login throttling, models, grants, audit.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    is_active     INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

-- A session is stored by the SHA-256 of its cookie value; `auth_hash` ties it to the password
-- it was opened with, so changing the password ends every session.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_hash   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    -- A one-time value for the next page this session renders (a token secret created by a
    -- form post without JavaScript), cleared when shown.
    flash       TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE setup_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT
);

CREATE TABLE login_failures (
    username  TEXT NOT NULL COLLATE NOCASE,
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures(username, failed_at);

CREATE TABLE models (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description  TEXT NOT NULL DEFAULT '',
    readme       TEXT NOT NULL DEFAULT '',
    target_type  TEXT,
    target_name  TEXT NOT NULL DEFAULT '',
    class_labels TEXT NOT NULL DEFAULT '[]',
    tags         TEXT NOT NULL DEFAULT '[]',
    metadata     TEXT NOT NULL DEFAULT '{}',
    visibility   TEXT NOT NULL DEFAULT 'private',
    archived     INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT NOT NULL REFERENCES users(id),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX models_updated ON models(updated_at);
CREATE INDEX models_created ON models(created_at);

CREATE TABLE model_grants (
    model_id  TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role      TEXT NOT NULL,
    can_share INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (model_id, user_id)
);
CREATE INDEX model_grants_user ON model_grants(user_id);

CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id   TEXT,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    details    TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE INDEX audit_events_created ON audit_events(created_at);
