-- When a release was retracted (UTC milliseconds); NULL unless status is
-- 'retracted'. Atom feeds announce releases retracted within the tombstone
-- window as RFC 6721 deleted-entries, so readers that stored one can drop it.
ALTER TABLE releases ADD COLUMN retracted_at INTEGER;
-- Releases retracted before this column existed: their last change is the
-- best record of when that happened.
UPDATE releases SET retracted_at = changed_at WHERE status = 'retracted';
CREATE INDEX releases_retracted ON releases (retracted_at) WHERE status = 'retracted';
