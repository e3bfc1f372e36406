-- The built-in WebSub hub (W3C Recommendation): verified subscriptions, the
-- version of each subscribed feed its subscribers last got, and the deliveries
-- still owed, so that neither a restart nor a kill loses one.

-- A subscription exists here only once its intent was verified (a pending
-- verification lives in the server's memory; the subscriber asks again).
CREATE TABLE websub_subscriptions (
    id INTEGER PRIMARY KEY,
    -- the feed's path under base_url (e.g. /topics/health/feed.atom), so a new
    -- base_url keeps its subscribers
    topic TEXT NOT NULL,
    callback TEXT NOT NULL,
    secret TEXT,
    lease_seconds INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_outcome TEXT,
    UNIQUE (topic, callback)
);
CREATE INDEX websub_subscriptions_expiry ON websub_subscriptions (expires_at);

-- The ETag of the version each subscribed feed was last distributed in (or
-- was at when its first subscriber was verified): a different one is a change.
CREATE TABLE websub_topics (
    topic TEXT PRIMARY KEY,
    etag TEXT NOT NULL,
    changed_at INTEGER NOT NULL
);

-- One distributed version of a feed, shared by its deliveries.
CREATE TABLE websub_contents (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    -- when the change was seen: the start of commit-to-delivery latency
    seen_at INTEGER NOT NULL
);

-- A delivery owed: removed once the subscriber acknowledged it (2xx), gave
-- up on, or superseded by a newer version of the same feed.
CREATE TABLE websub_deliveries (
    id INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES websub_subscriptions (id) ON DELETE CASCADE,
    content_id INTEGER NOT NULL REFERENCES websub_contents (id),
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at INTEGER NOT NULL,
    -- 1 while a process is sending it; a restart sends those again at once
    in_flight INTEGER NOT NULL DEFAULT 0,
    UNIQUE (subscription_id)
);
CREATE INDEX websub_deliveries_due ON websub_deliveries (due_at);
CREATE INDEX websub_deliveries_content ON websub_deliveries (content_id);
