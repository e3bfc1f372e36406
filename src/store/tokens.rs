//! Bearer tokens of the automation API, stored only as SHA-256 hashes.

use super::{Conflict, Result, Store, StoreError, from_ms, to_ms, unique_or};
use crate::store::db::{self, OptionalExtension, params};
use chrono::{DateTime, Utc};

/// A token that is still valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
}

/// Every token ever made, for `pressfeed list-tokens`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// To the hour (see [`LAST_USED_RESOLUTION_MS`]).
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// How often `last_used_at` is written at most: every write invalidates the
/// feed cache, so an API poller must not cause one per request.
const LAST_USED_RESOLUTION_MS: i64 = 3_600_000;

impl Store {
    /// Stores a new token's hash under `name`, valid until `expires_at`
    /// (or for ever); `Taken` when an unexpired, unrevoked token already
    /// has that name. An expired one of that name is retired (revoked).
    pub fn create_token(
        &self,
        name: &str,
        token_sha256: &str,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        tx.prepare_cached(
            "UPDATE api_tokens SET revoked_at = ?2 \
             WHERE name = ?1 AND revoked_at IS NULL AND expires_at <= ?2",
        )?
        .execute(params![name, to_ms(now)])?;
        tx.prepare_cached(
            "INSERT INTO api_tokens (name, token_sha256, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            name,
            token_sha256,
            to_ms(now),
            expires_at.map(to_ms)
        ])
        .map_err(unique_or(|| Conflict::TokenNameTaken(name.to_owned())))?;
        tx.commit()?;
        Ok(())
    }

    /// Every token, oldest first.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT name, created_at, expires_at, last_used_at, revoked_at \
             FROM api_tokens ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TokenRecord {
                name: r.get(0)?,
                created_at: from_ms(r.get(1)?),
                expires_at: r.get::<_, Option<i64>>(2)?.map(from_ms),
                last_used_at: r.get::<_, Option<i64>>(3)?.map(from_ms),
                revoked_at: r.get::<_, Option<i64>>(4)?.map(from_ms),
            })
        })?;
        Ok(rows.collect::<db::Result<_>>()?)
    }

    /// Revokes the active token called `name`; false when there is none.
    pub fn revoke_token(&self, name: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = self
            .conn()?
            .prepare_cached(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![name, to_ms(now)])?;
        Ok(n > 0)
    }

    /// The active (unrevoked, unexpired) token with this hash, noting
    /// (coarsely) that it was used.
    pub fn use_token(&self, token_sha256: &str, now: DateTime<Utc>) -> Result<Option<ApiToken>> {
        let conn = self.conn()?;
        let found = conn
            .prepare_cached(
                "SELECT id, name, coalesce(last_used_at, 0) FROM api_tokens \
                 WHERE token_sha256 = ?1 AND revoked_at IS NULL \
                 AND (expires_at IS NULL OR expires_at > ?2)",
            )?
            .query_row(params![token_sha256, to_ms(now)], |r| {
                Ok((
                    ApiToken {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    },
                    r.get::<_, i64>(2)?,
                ))
            })
            .optional()?;
        let Some((token, last_used)) = found else {
            return Ok(None);
        };
        let now_ms = to_ms(now);
        if now_ms - last_used >= LAST_USED_RESOLUTION_MS {
            let noted = conn
                .prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1")
                .and_then(|mut s| s.execute(params![token.id, now_ms]));
            match noted.map_err(StoreError::from) {
                // Only a note: a full or read-only disk must not turn away
                // a client that reads, nor hide the real error of a write.
                Err(e) if e.is_unavailable() => {
                    tracing::warn!(error = %e, "cannot note when an API token was used");
                }
                other => {
                    other?;
                }
            }
        }
        Ok(Some(token))
    }
}
