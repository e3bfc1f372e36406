-- Accredited journalists and what their private feeds showed them.
--
-- A private feed URL carries a random token; only its SHA-256 is kept
-- (`token_sha256`), so a copy of the database does not hand out access.
-- Revoking keeps the row: the record of what was seen stays.
CREATE TABLE accreditations (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    outlet       TEXT NOT NULL,
    email        TEXT,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    fetches      INTEGER NOT NULL DEFAULT 0,
    last_fetch_at INTEGER
);
-- One active accreditation per name (a revoked one may be issued again).
CREATE UNIQUE INDEX accreditations_active_name ON accreditations (name)
    WHERE revoked_at IS NULL;

-- Every private feed fetch: who, when, which document, what it answered.
CREATE TABLE accreditation_fetches (
    accreditation_id INTEGER NOT NULL REFERENCES accreditations (id),
    at               INTEGER NOT NULL,
    document         TEXT NOT NULL,
    status           INTEGER NOT NULL
);
CREATE INDEX accreditation_fetches_by_who ON accreditation_fetches (accreditation_id, at);

-- The first time a private feed showed a journalist a release, and whether
-- that was before its embargo lifted.
CREATE TABLE accreditation_sightings (
    accreditation_id INTEGER NOT NULL REFERENCES accreditations (id),
    release_id       INTEGER NOT NULL REFERENCES releases (id),
    first_seen_at    INTEGER NOT NULL,
    before_embargo   INTEGER NOT NULL,
    PRIMARY KEY (accreditation_id, release_id)
) WITHOUT ROWID;
CREATE INDEX accreditation_sightings_by_release ON accreditation_sightings (release_id);
