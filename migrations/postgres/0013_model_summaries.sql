-- What a model's row in a list shows about its versions (how many, how often downloaded, the
-- newest ready one, the primary one), kept up to date by triggers on every change to versions,
-- downloads and promotions, so that a list reads one row per model instead of counting and
-- sorting each model's versions on every request. Derived data: not exported, rebuilt from the
-- tables it summarizes.
CREATE TABLE model_summaries (
    model_id        TEXT PRIMARY KEY NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    version_count   BIGINT NOT NULL DEFAULT 0,
    download_count  BIGINT NOT NULL DEFAULT 0,
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

-- Recomputes what changes with a model's versions. The summary row is locked first, so that
-- the heads are read after any concurrent change to the same model has committed (each
-- statement of a function reads a fresh snapshot under READ COMMITTED).
CREATE FUNCTION refresh_model_summary(target TEXT, versions_added BIGINT, recount_downloads BOOLEAN)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM model_summaries WHERE model_id = target FOR UPDATE;
    UPDATE model_summaries s SET
        version_count = s.version_count + versions_added,
        download_count = CASE WHEN recount_downloads THEN
            (SELECT COALESCE(SUM(d.count), 0) FROM version_downloads d
                JOIN versions v ON v.id = d.version_id WHERE v.model_id = target)
            ELSE s.download_count END,
        latest_version = h.latest_version,
        primary_version = h.primary_version
    FROM model_heads h WHERE h.model_id = target AND s.model_id = target;
END $$;

CREATE FUNCTION model_summaries_new_model() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO model_summaries (model_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER model_summaries_new_model AFTER INSERT ON models
    FOR EACH ROW EXECUTE FUNCTION model_summaries_new_model();

CREATE FUNCTION model_summaries_promotion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_model_summary(NEW.id, 0, FALSE);
    RETURN NULL;
END $$;
CREATE TRIGGER model_summaries_promotion AFTER UPDATE OF primary_version_id ON models
    FOR EACH ROW EXECUTE FUNCTION model_summaries_promotion();

CREATE FUNCTION model_summaries_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM refresh_model_summary(NEW.model_id, 1, FALSE);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM refresh_model_summary(NEW.model_id, 0, FALSE);
    ELSE
        PERFORM refresh_model_summary(OLD.model_id, -1, TRUE);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER model_summaries_new_version AFTER INSERT ON versions
    FOR EACH ROW EXECUTE FUNCTION model_summaries_versions();
CREATE TRIGGER model_summaries_changed_version
    AFTER UPDATE OF state, active, registration, major, minor, patch ON versions
    FOR EACH ROW EXECUTE FUNCTION model_summaries_versions();
CREATE TRIGGER model_summaries_deleted_version AFTER DELETE ON versions
    FOR EACH ROW EXECUTE FUNCTION model_summaries_versions();

CREATE FUNCTION model_summaries_downloads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE model_summaries SET download_count = download_count + NEW.count
        - CASE WHEN TG_OP = 'UPDATE' THEN OLD.count ELSE 0 END
    WHERE model_id = (SELECT model_id FROM versions WHERE id = NEW.version_id);
    RETURN NULL;
END $$;
CREATE TRIGGER model_summaries_downloads AFTER INSERT OR UPDATE OF count ON version_downloads
    FOR EACH ROW EXECUTE FUNCTION model_summaries_downloads();
