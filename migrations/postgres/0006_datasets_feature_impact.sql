-- Datasets (CSV files used as training or holdout data), the data assigned to each version,
-- each version's feature impact, and what checking uploaded ONNX files found.

CREATE TABLE datasets (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL REFERENCES blobs(sha256),
    size        BIGINT NOT NULL,
    row_count   BIGINT NOT NULL,
    -- JSON array of domain::dataset::Column.
    columns     TEXT NOT NULL,
    -- JSON array of the first rows (arrays of strings).
    preview     TEXT NOT NULL DEFAULT '[]',
    created_by  TEXT NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX datasets_blob ON datasets(sha256);
CREATE INDEX datasets_created ON datasets(created_at DESC);

-- A dataset in use by a version cannot be deleted (no ON DELETE action: the service answers 409).
ALTER TABLE versions ADD COLUMN training_dataset_id TEXT REFERENCES datasets(id);
ALTER TABLE versions ADD COLUMN holdout_dataset_id TEXT REFERENCES datasets(id);
CREATE INDEX versions_training_dataset ON versions(training_dataset_id);
CREATE INDEX versions_holdout_dataset ON versions(holdout_dataset_id);

-- One feature impact per version: the latest computed or imported.
CREATE TABLE feature_impacts (
    version_id               TEXT PRIMARY KEY NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    -- 'permutation' or 'imported'.
    method                   TEXT NOT NULL,
    shap_based               BIGINT NOT NULL DEFAULT 0,
    dataset_id               TEXT REFERENCES datasets(id) ON DELETE SET NULL,
    row_count                BIGINT,
    ran_redundancy_detection BIGINT NOT NULL DEFAULT 0,
    -- 'rmse' or 'log_loss', and the score on the unshuffled sample.
    metric                   TEXT,
    base_score               DOUBLE PRECISION,
    -- Where predictions came from: 'onnx:<path>' or the prediction server's URL.
    backend                  TEXT,
    -- JSON array of domain::feature_impact::FeatureImpactItem, most important first.
    items                    TEXT NOT NULL,
    job_id                   TEXT REFERENCES jobs(id) ON DELETE SET NULL,
    computed_by              TEXT REFERENCES users(id) ON DELETE SET NULL,
    computed_at              TEXT NOT NULL
);

-- What checking a stored model file found (it loads; operators it lacks), by content: the same
-- bytes give the same answer whichever version holds them.
CREATE TABLE model_checks (
    sha256     TEXT PRIMARY KEY NOT NULL REFERENCES blobs(sha256) ON DELETE CASCADE,
    -- JSON of domain::model_check::ModelCheck.
    result     TEXT NOT NULL,
    checked_at TEXT NOT NULL
);
