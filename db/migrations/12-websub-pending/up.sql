-- Subscription requests answered 202 whose intent is not yet verified: a
-- server that stops before the verification ends resumes it at start, so an
-- accepted subscriber is never left waiting for a verification that never comes.
CREATE TABLE websub_pending (
    id INTEGER PRIMARY KEY,
    mode TEXT NOT NULL CHECK (mode IN ('subscribe', 'unsubscribe')),
    topic TEXT NOT NULL,
    callback TEXT NOT NULL,
    lease_seconds INTEGER NOT NULL,
    secret TEXT,
    created_at INTEGER NOT NULL
);
