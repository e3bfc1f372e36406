-- Attachments (README "Attachments"). The bytes live in the media folder,
-- one file per SHA-256 (content-addressed, so a file used by several
-- releases is stored once); this table holds what was learnt from them.
CREATE TABLE media (
    sha256     TEXT    NOT NULL PRIMARY KEY CHECK (length(sha256) = 64),
    -- Decided from the bytes (magic numbers), never from the client.
    mime       TEXT    NOT NULL,
    length     INTEGER NOT NULL,
    -- The sanitised name of the first upload: the last part of its URL.
    filename   TEXT    NOT NULL,
    width      INTEGER,
    height     INTEGER,
    -- What the uploader said at upload time; a release's own caption/alt
    -- wins (release_attachments).
    alt        TEXT,
    caption    TEXT,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Which releases use which files, in order. A file is served publicly
-- while at least one release using it is.
CREATE TABLE release_attachments (
    release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    sha256     TEXT    NOT NULL REFERENCES media (sha256),
    caption    TEXT    NOT NULL DEFAULT '',
    alt        TEXT,
    lead       INTEGER NOT NULL DEFAULT 0 CHECK (lead IN (0, 1)),
    PRIMARY KEY (release_id, position)
) WITHOUT ROWID;
CREATE INDEX release_attachments_sha256 ON release_attachments (sha256);
