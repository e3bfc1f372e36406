//! Newsroom sessions: one row per sign-in, keyed by the SHA-256 of the
//! random id in the session cookie.

use super::{Result, Store, from_ms, to_ms};
use crate::store::db::{OptionalExtension, params};
use chrono::{DateTime, Utc};

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSession {
    pub admin_id: i64,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Rows that ended or went unused this long ago are deleted when a new
/// session starts; they could only say "signed out" again.
const KEEP_MS: i64 = 30 * 24 * 3_600_000;

impl Store {
    /// Starts a session of `admin_id` at `now`.
    pub fn create_session(&self, id_sha256: &str, admin_id: i64, now: DateTime<Utc>) -> Result<()> {
        let conn = self.conn()?;
        let now = to_ms(now);
        conn.prepare_cached(
            "DELETE FROM admin_sessions WHERE coalesce(ended_at, last_seen_at) < ?1",
        )?
        .execute([now - KEEP_MS])?;
        conn.prepare_cached(
            "INSERT INTO admin_sessions (id, admin_id, created_at, last_seen_at) \
             VALUES (?1, ?2, ?3, ?3)",
        )?
        .execute(params![id_sha256, admin_id, now])?;
        Ok(())
    }

    pub fn session_by_id(&self, id_sha256: &str) -> Result<Option<AdminSession>> {
        Ok(self
            .conn()?
            .prepare_cached(
                "SELECT admin_id, created_at, last_seen_at, ended_at FROM admin_sessions \
                 WHERE id = ?1",
            )?
            .query_row([id_sha256], |r| {
                Ok(AdminSession {
                    admin_id: r.get(0)?,
                    created_at: from_ms(r.get(1)?),
                    last_seen_at: from_ms(r.get(2)?),
                    ended_at: r.get::<_, Option<i64>>(3)?.map(from_ms),
                })
            })
            .optional()?)
    }

    /// Records activity on an open session (never moving it back).
    pub fn touch_session(&self, id_sha256: &str, now: DateTime<Utc>) -> Result<()> {
        self.conn()?
            .prepare_cached(
                "UPDATE admin_sessions SET last_seen_at = greatest(last_seen_at, ?2) \
                 WHERE id = ?1 AND ended_at IS NULL",
            )?
            .execute(params![id_sha256, to_ms(now)])?;
        Ok(())
    }

    /// Ends one session (sign-out).
    pub fn end_session(&self, id_sha256: &str, now: DateTime<Utc>) -> Result<()> {
        self.conn()?
            .prepare_cached(
                "UPDATE admin_sessions SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
            )?
            .execute(params![id_sha256, to_ms(now)])?;
        Ok(())
    }

    /// Ends every open session of an account; returns how many there were.
    pub fn end_sessions_of(&self, admin_id: i64, now: DateTime<Utc>) -> Result<usize> {
        Ok(self
            .conn()?
            .prepare_cached(
                "UPDATE admin_sessions SET ended_at = ?2 \
                 WHERE admin_id = ?1 AND ended_at IS NULL",
            )?
            .execute(params![admin_id, to_ms(now)])?)
    }
}
