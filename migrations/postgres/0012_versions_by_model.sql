-- A model's versions by id: what sums over a model's versions join on (its download counts,
-- which version_downloads keeps per version). Read from this index alone, without a look-up
-- of each version's row.
CREATE INDEX versions_model_ids ON versions(model_id, id);
