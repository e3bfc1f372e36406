-- The "About" boilerplate of each organisation (README "Press-release
-- furniture"): a setting per organisation, shown after the notes to editors
-- of every release whose `organization` is exactly `name`.
CREATE TABLE organization_about (
    name       TEXT    NOT NULL PRIMARY KEY,
    -- Markdown as typed; rendered (and sanitised) when pages and feeds are made.
    about      TEXT    NOT NULL,
    changed_at INTEGER NOT NULL
) WITHOUT ROWID;
