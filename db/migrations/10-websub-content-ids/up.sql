-- A distributed version's id must never be reused: a server keeps the body
-- of a version it is delivering in memory by its id, and without
-- AUTOINCREMENT SQLite hands the id of a pruned version to the next one (a
-- subscriber was sent the previous version's body). Foreign keys are checked
-- at the commit, when the copy holds every row the deliveries point at.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE websub_contents_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    seen_at INTEGER NOT NULL
);
INSERT INTO websub_contents_v2 (id, topic, content_type, body, seen_at)
    SELECT id, topic, content_type, body, seen_at FROM websub_contents;
DROP TABLE websub_contents;
ALTER TABLE websub_contents_v2 RENAME TO websub_contents;
