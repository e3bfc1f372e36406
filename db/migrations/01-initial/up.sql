-- Times are INTEGER milliseconds since the Unix epoch, always UTC.
-- changed_at columns record when something a feed shows last changed; they
-- drive Last-Modified, which must never move backwards.

CREATE TABLE topics (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT,
    created_at  INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL
);
CREATE INDEX topics_changed ON topics (changed_at);

CREATE TABLE releases (
    id              INTEGER PRIMARY KEY,
    -- tag: URI minted once at creation; the feed id forever.
    uid             TEXT    NOT NULL UNIQUE,
    slug            TEXT    NOT NULL UNIQUE,
    title           TEXT    NOT NULL,
    summary         TEXT,
    body_html       TEXT    NOT NULL,
    organization    TEXT    NOT NULL,
    department      TEXT,
    dateline        TEXT,
    lang            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('draft', 'published', 'retracted')),
    published_at    INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    changed_at      INTEGER NOT NULL,
    correction_note TEXT,
    retraction_note TEXT
);
-- The global feed: newest visible first, and the next scheduled instant.
CREATE INDEX releases_feed ON releases (published_at) WHERE status = 'published';
CREATE INDEX releases_changed ON releases (changed_at);
CREATE INDEX releases_created ON releases (created_at);

CREATE TABLE release_topics (
    release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    topic_id   INTEGER NOT NULL REFERENCES topics (id) ON DELETE RESTRICT,
    position   INTEGER NOT NULL,
    -- releases.published_at while the release is published, else NULL;
    -- copied here so a topic feed is one index range scan.
    feed_at    INTEGER,
    PRIMARY KEY (release_id, topic_id)
) WITHOUT ROWID;
CREATE INDEX release_topics_feed ON release_topics (topic_id, feed_at);

CREATE TRIGGER release_topics_feed_at_insert AFTER INSERT ON release_topics
BEGIN
    UPDATE release_topics
       SET feed_at = (SELECT CASE WHEN status = 'published' THEN published_at END
                        FROM releases WHERE id = NEW.release_id)
     WHERE release_id = NEW.release_id AND topic_id = NEW.topic_id;
END;

CREATE TRIGGER release_topics_feed_at_update AFTER UPDATE OF status, published_at ON releases
BEGIN
    UPDATE release_topics
       SET feed_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
     WHERE release_id = NEW.id;
END;

-- Small named values, e.g. when the topic list last changed (for the OPML).
CREATE TABLE site_state (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO site_state (key, value) VALUES ('topics_changed_at', 0);
