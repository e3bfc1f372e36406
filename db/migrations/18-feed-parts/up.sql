-- The parts of a scope that are documents of their own: one month of it
-- (an RFC 5005 archive, part 'month:YYYY-MM') and one language of it (a
-- language feed, part 'lang:TAG'). topic_id 0 is the global scope. Each
-- part has a change stamp and a version like its scope (src/store/scopes.rs,
-- src/store/versions.rs), moved only by writes that change that part, so an
-- edit in one month leaves every other month's validators alone.
CREATE TABLE feed_parts (
    topic_id   INTEGER NOT NULL,
    part       TEXT    NOT NULL,
    changed_at INTEGER NOT NULL DEFAULT 0,
    version    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (topic_id, part)
) WITHOUT ROWID;
CREATE INDEX feed_parts_version ON feed_parts (version);

-- Language feeds: the newest releases in one language.
CREATE INDEX releases_lang_feed ON releases (lang, published_at) WHERE status = 'published';

-- Every part that holds a release readers saw or will see starts with its
-- scope's stamp (no earlier version of it can have been sent later).
INSERT OR IGNORE INTO feed_parts (topic_id, part, changed_at)
SELECT 0, 'month:' || strftime('%Y-%m', published_at / 1000, 'unixepoch'),
       (SELECT value FROM site_state WHERE key = 'feed_changed_at')
  FROM releases WHERE status <> 'draft';
INSERT OR IGNORE INTO feed_parts (topic_id, part, changed_at)
SELECT 0, 'lang:' || lang, (SELECT value FROM site_state WHERE key = 'feed_changed_at')
  FROM releases WHERE status <> 'draft';
INSERT OR IGNORE INTO feed_parts (topic_id, part, changed_at)
SELECT rt.topic_id, 'month:' || strftime('%Y-%m', r.published_at / 1000, 'unixepoch'), t.changed_at
  FROM release_topics rt JOIN releases r ON r.id = rt.release_id JOIN topics t ON t.id = rt.topic_id
 WHERE r.status <> 'draft';
INSERT OR IGNORE INTO feed_parts (topic_id, part, changed_at)
SELECT rt.topic_id, 'lang:' || r.lang, t.changed_at
  FROM release_topics rt JOIN releases r ON r.id = rt.release_id JOIN topics t ON t.id = rt.topic_id
 WHERE r.status <> 'draft';
