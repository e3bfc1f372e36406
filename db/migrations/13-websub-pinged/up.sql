-- The ETag of each feed when the public hubs (websub_hubs) were last told
-- about it, so that a change made while no server ran is pinged at start.
CREATE TABLE websub_pinged (
    path TEXT PRIMARY KEY,
    etag TEXT NOT NULL
);
