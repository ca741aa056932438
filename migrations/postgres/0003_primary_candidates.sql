-- The default primary version is the newest published, active, ready one. This partial index
-- finds it without scanning a model's drafts, however many there are.
CREATE INDEX versions_primary_candidates ON versions(model_id, major DESC, minor DESC, patch DESC)
    WHERE state = 'published' AND active = 1 AND registration = 'ready';
