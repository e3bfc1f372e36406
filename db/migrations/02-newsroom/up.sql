-- The newsroom: admin accounts, API tokens, and what the release form needs
-- beyond the import format.

CREATE TABLE admins (
    id                  INTEGER PRIMARY KEY,
    -- stored lowercase; compared exactly
    username            TEXT    NOT NULL UNIQUE,
    -- argon2id PHC string
    password_hash       TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    -- a session made before this instant is void (reset-password logs out)
    password_changed_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    -- hex SHA-256 of the token; the token itself is shown once and never stored
    token_sha256 TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- The Markdown an admin typed, so the form can show it again. NULL when the
-- body came as HTML (import, API): the form then shows the HTML.
ALTER TABLE releases ADD COLUMN body_source TEXT;
-- 1 once the release has ever been published (scheduled counts): its slug
-- never changes after that.
ALTER TABLE releases ADD COLUMN slug_locked INTEGER NOT NULL DEFAULT 0;
UPDATE releases SET slug_locked = 1 WHERE status <> 'draft';

CREATE TRIGGER releases_slug_lock_insert AFTER INSERT ON releases
WHEN NEW.status <> 'draft'
BEGIN
    UPDATE releases SET slug_locked = 1 WHERE id = NEW.id;
END;

CREATE TRIGGER releases_slug_lock_update AFTER UPDATE OF status ON releases
WHEN NEW.status <> 'draft' AND NEW.slug_locked = 0
BEGIN
    UPDATE releases SET slug_locked = 1 WHERE id = NEW.id;
END;

-- Any writer that replaces the HTML without giving new Markdown (import, API)
-- makes the stored Markdown stale: forget it.
CREATE TRIGGER releases_body_source_stale AFTER UPDATE OF body_html ON releases
WHEN NEW.body_html IS NOT OLD.body_html AND NEW.body_source IS OLD.body_source
BEGIN
    UPDATE releases SET body_source = NULL WHERE id = NEW.id;
END;
