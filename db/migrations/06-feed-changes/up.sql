-- When the global feeds last changed in a way a reader can see (an edit of a
-- visible release, a release published or retracted, a topic renamed); a
-- draft or a release scheduled for later leaves it alone. Milliseconds, and
-- see src/store/scopes.rs for how a write moves it. Starts where the global
-- feeds' Last-Modified stood, so it does not move back on upgrade.
INSERT INTO site_state (key, value)
SELECT 'feed_changed_at', max(
    coalesce((SELECT max(changed_at) FROM releases), 0),
    coalesce((SELECT max(changed_at) FROM topics), 0),
    (SELECT value FROM site_state WHERE key = 'topics_changed_at'));
