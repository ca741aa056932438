-- Where a copied model came from, as it was when the copy was made: JSON
-- {"model_id", "model_name", "versions": ["0.1.0", ...]}. NULL for a model created from scratch.
ALTER TABLE models ADD COLUMN copied_from TEXT;
