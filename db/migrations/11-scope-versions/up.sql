-- A counter moved once by every transaction that changes what a reader can
-- see, and the value it had when each scope (the global feeds, the topic
-- list behind the OPML, one topic's feeds) last changed. Unlike the
-- `changed_at` stamps, two versions in one second never share one, so a
-- server can tell exactly which cached documents a commit made stale
-- without rendering any (see src/store/versions.rs).
ALTER TABLE topics ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX topics_version ON topics (version);
INSERT INTO site_state (key, value) VALUES ('scope_seq', 0), ('feed_version', 0), ('topics_version', 0);
