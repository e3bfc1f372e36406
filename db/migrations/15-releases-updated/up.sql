-- Releases sharing an `updated_at` instant, in the order they were created:
-- Atom feeds tell their entries' atom:updated apart by that rank (feeds.rs).
CREATE INDEX releases_updated ON releases (updated_at, id);
