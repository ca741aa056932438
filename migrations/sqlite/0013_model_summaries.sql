-- What a model's row in a list shows about its versions (how many, how often downloaded, the
-- newest ready one, the primary one), kept up to date by triggers on every change to versions,
-- downloads and promotions, so that a list reads one row per model instead of counting and
-- sorting each model's versions on every request. Derived data: not exported, rebuilt from the
-- tables it summarizes.
CREATE TABLE model_summaries (
    model_id        TEXT PRIMARY KEY NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    version_count   INTEGER NOT NULL DEFAULT 0,
    download_count  INTEGER NOT NULL DEFAULT 0,
    latest_version  TEXT,
    primary_version TEXT
);

-- The newest ready version of each model and its primary one (the promoted version, else the
-- newest that is published, active and ready), as semantic versions.
CREATE VIEW model_heads AS
SELECT m.id AS model_id,
    (SELECT v.major || '.' || v.minor || '.' || v.patch FROM versions v
        WHERE v.model_id = m.id AND v.registration = 'ready'
        ORDER BY v.major DESC, v.minor DESC, v.patch DESC LIMIT 1) AS latest_version,
    (SELECT v.major || '.' || v.minor || '.' || v.patch FROM versions v
        WHERE v.id = COALESCE(m.primary_version_id, (SELECT p.id FROM versions p
            WHERE p.model_id = m.id AND p.state = 'published' AND p.active = 1
              AND p.registration = 'ready'
            ORDER BY p.major DESC, p.minor DESC, p.patch DESC LIMIT 1))) AS primary_version
FROM models m;

INSERT INTO model_summaries (model_id, version_count, download_count, latest_version, primary_version)
SELECT m.id,
    (SELECT COUNT(*) FROM versions v WHERE v.model_id = m.id),
    (SELECT COALESCE(SUM(d.count), 0) FROM version_downloads d
        JOIN versions v ON v.id = d.version_id WHERE v.model_id = m.id),
    h.latest_version, h.primary_version
FROM models m JOIN model_heads h ON h.model_id = m.id;

CREATE TRIGGER model_summaries_new_model AFTER INSERT ON models BEGIN
    INSERT INTO model_summaries (model_id) VALUES (NEW.id);
END;

CREATE TRIGGER model_summaries_promotion AFTER UPDATE OF primary_version_id ON models BEGIN
    UPDATE model_summaries SET primary_version = h.primary_version
    FROM model_heads h WHERE h.model_id = NEW.id AND model_summaries.model_id = NEW.id;
END;

CREATE TRIGGER model_summaries_new_version AFTER INSERT ON versions BEGIN
    UPDATE model_summaries SET version_count = version_count + 1,
        latest_version = h.latest_version, primary_version = h.primary_version
    FROM model_heads h WHERE h.model_id = NEW.model_id AND model_summaries.model_id = NEW.model_id;
END;

CREATE TRIGGER model_summaries_changed_version
AFTER UPDATE OF state, active, registration, major, minor, patch ON versions BEGIN
    UPDATE model_summaries SET latest_version = h.latest_version, primary_version = h.primary_version
    FROM model_heads h WHERE h.model_id = NEW.model_id AND model_summaries.model_id = NEW.model_id;
END;

-- The deleted version's download rows may still be there while its own delete cascades: the
-- sum joins on the versions that remain.
CREATE TRIGGER model_summaries_deleted_version AFTER DELETE ON versions BEGIN
    UPDATE model_summaries SET version_count = version_count - 1,
        download_count = (SELECT COALESCE(SUM(d.count), 0) FROM version_downloads d
            JOIN versions v ON v.id = d.version_id WHERE v.model_id = OLD.model_id),
        latest_version = h.latest_version, primary_version = h.primary_version
    FROM model_heads h WHERE h.model_id = OLD.model_id AND model_summaries.model_id = OLD.model_id;
END;

CREATE TRIGGER model_summaries_download AFTER INSERT ON version_downloads BEGIN
    UPDATE model_summaries SET download_count = download_count + NEW.count
    WHERE model_id = (SELECT model_id FROM versions WHERE id = NEW.version_id);
END;

CREATE TRIGGER model_summaries_downloads AFTER UPDATE OF count ON version_downloads BEGIN
    UPDATE model_summaries SET download_count = download_count + NEW.count - OLD.count
    WHERE model_id = (SELECT model_id FROM versions WHERE id = NEW.version_id);
END;
