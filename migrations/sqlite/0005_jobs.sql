-- Durable background jobs (feature impact and other long work) and their logs.

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY NOT NULL,
    kind             TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'queued',
    -- What the job works on, so "one at a time per version" can be checked.
    subject          TEXT,
    params           TEXT NOT NULL DEFAULT '{}',
    result           TEXT,
    error            TEXT,
    progress         REAL NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    claimed_by       TEXT,
    heartbeat_at     TEXT,
    created_by       TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT
);
CREATE INDEX jobs_queue ON jobs(state, created_at);
CREATE INDEX jobs_subject ON jobs(subject, kind, state);

CREATE TABLE job_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id  TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    at      TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX job_log_job ON job_log(job_id, id);
