-- Newsroom sessions kept on the server, so that signing out, a password
-- change and "sign out everywhere" end them for real (a copy of the cookie
-- replayed later finds its row ended), and so that the idle and absolute
-- limits are measured here, not by what the cookie claims.
CREATE TABLE admin_sessions (
    -- hex SHA-256 of the random session id the (encrypted) cookie carries
    id           TEXT    PRIMARY KEY,
    admin_id     INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    -- set by sign-out, a password change or "sign out everywhere"
    ended_at     INTEGER
);
CREATE INDEX admin_sessions_admin ON admin_sessions (admin_id) WHERE ended_at IS NULL;
