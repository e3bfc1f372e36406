-- Press-release furniture (README "Press-release furniture"): what follows
-- the `# # #` end mark. The organisation's "About" boilerplate is a setting,
-- not stored per release.

-- Markdown as typed; rendered (and sanitised) when pages and feeds are made.
ALTER TABLE releases ADD COLUMN notes_to_editors TEXT;

-- Media contacts of a release, in the order given.
CREATE TABLE release_contacts (
    release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    role       TEXT,
    email      TEXT,
    -- As typed; the tel: link is derived from it.
    phone      TEXT,
    CHECK (email IS NOT NULL OR phone IS NOT NULL),
    PRIMARY KEY (release_id, position)
) WITHOUT ROWID;
