-- Whether a topic is public whatever its releases: created on the Topics
-- page, or once readers could see a release in it. A topic that only a
-- draft or a release scheduled for later brought into being is not
-- (listed = 0): it stays out of the OPML, the topic pages and its feeds
-- until a release in it becomes visible, so its name cannot leak an
-- embargo.
ALTER TABLE topics ADD COLUMN listed INTEGER NOT NULL DEFAULT 1;

-- Existing topics first brought into being by a release (created in its
-- transaction) that readers have seen nothing of yet.
UPDATE topics SET listed = 0
 WHERE EXISTS (SELECT 1 FROM release_topics rt JOIN releases r ON r.id = rt.release_id
                WHERE rt.topic_id = topics.id AND r.created_at = topics.created_at)
   AND NOT EXISTS (SELECT 1 FROM release_topics rt JOIN releases r ON r.id = rt.release_id
                    WHERE rt.topic_id = topics.id
                      AND (r.status = 'retracted'
                           OR (r.status = 'published'
                               AND r.published_at <= CAST(unixepoch('subsec') * 1000 AS INTEGER))));

CREATE INDEX topics_unlisted ON topics (id) WHERE listed = 0;
