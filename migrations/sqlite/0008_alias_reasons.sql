-- Why an alias moved when nobody moved it by hand: the version it pointed at was deleted.
-- Empty for moves people made.
ALTER TABLE alias_moves ADD COLUMN reason TEXT NOT NULL DEFAULT '';
