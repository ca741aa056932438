-- How often each version's files were downloaded: one row per version, UTC day ('YYYY-MM-DD')
-- and kind ('file' for one file, 'zip' for the whole version), counted by an upsert per
-- download. The rows go with their version.
CREATE TABLE version_downloads (
    version_id  TEXT NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('file', 'zip')),
    count       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (version_id, day, kind)
);
