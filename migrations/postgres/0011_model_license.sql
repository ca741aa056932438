-- The license a model's card names in its front matter, kept beside the card so lists can be
-- filtered by it. NULL when the card names none.
ALTER TABLE models ADD COLUMN license TEXT;
CREATE INDEX models_license ON models(license);
