-- Versions, their files, content-addressed blobs, aliases and the history of alias moves.

CREATE TABLE versions (
    id              TEXT PRIMARY KEY NOT NULL,
    model_id        TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    major           INTEGER NOT NULL,
    minor           INTEGER NOT NULL,
    patch           INTEGER NOT NULL,
    -- 'draft' (files may change) or 'published' (frozen).
    state           TEXT NOT NULL DEFAULT 'draft',
    -- 'pending' while uploads run, then 'ready' or 'failed'.
    registration    TEXT NOT NULL DEFAULT 'ready',
    active          INTEGER NOT NULL DEFAULT 1,
    description     TEXT NOT NULL DEFAULT '',
    metadata        TEXT NOT NULL DEFAULT '{}',
    tags            TEXT NOT NULL DEFAULT '[]',
    metrics         TEXT NOT NULL DEFAULT '[]',
    framework       TEXT NOT NULL DEFAULT '{}',
    environment     TEXT NOT NULL DEFAULT '{}',
    git             TEXT NOT NULL DEFAULT '{}',
    source_uri      TEXT NOT NULL DEFAULT '',
    run_id          TEXT NOT NULL DEFAULT '',
    -- Parsed from requirements.txt and pip_packages whenever either changes.
    dependencies    TEXT NOT NULL DEFAULT '{"dependencies":[],"unparsed":[]}',
    base_version    TEXT,
    created_by      TEXT NOT NULL REFERENCES users(id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    published_at    TEXT,
    UNIQUE (model_id, major, minor, patch)
);
CREATE INDEX versions_model_order ON versions(model_id, major DESC, minor DESC, patch DESC);
CREATE INDEX versions_pending ON versions(registration) WHERE registration = 'pending';

-- Stored bytes, named by their SHA-256: the same content is kept once however many files use it.
CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY NOT NULL,
    size       INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE version_files (
    version_id   TEXT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    sha256       TEXT NOT NULL REFERENCES blobs(sha256),
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (version_id, path)
);
CREATE INDEX version_files_blob ON version_files(sha256);

-- Set by an explicit promotion; when NULL the newest published, active, ready version is primary.
ALTER TABLE models ADD COLUMN primary_version_id TEXT REFERENCES versions(id) ON DELETE SET NULL;

CREATE TABLE aliases (
    model_id   TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    version_id TEXT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    protected  INTEGER NOT NULL DEFAULT 0,
    updated_by TEXT NOT NULL REFERENCES users(id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (model_id, name)
);
CREATE INDEX aliases_version ON aliases(version_id);

-- Every move of an alias; version numbers are kept as text so history outlives deleted versions.
CREATE TABLE alias_moves (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id     TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    alias        TEXT NOT NULL,
    from_version TEXT,
    to_version   TEXT,
    protected    INTEGER NOT NULL,
    actor_id     TEXT REFERENCES users(id) ON DELETE SET NULL,
    moved_at     TEXT NOT NULL
);
CREATE INDEX alias_moves_alias ON alias_moves(model_id, alias, id);
