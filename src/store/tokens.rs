//! Bearer tokens of the automation API, stored only as SHA-256 hashes.

use super::admins::is_unique_violation;
use super::{Result, Store, StoreError, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

/// A token that is still valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
}

/// How often `last_used_at` is written at most: every write invalidates the
/// feed cache, so an API poller must not cause one per request.
const LAST_USED_RESOLUTION_MS: i64 = 3_600_000;

impl Store {
    /// Stores a new token's hash under `name`; `Taken` when an active token
    /// already has that name.
    pub fn create_token(&self, name: &str, token_sha256: &str, now: DateTime<Utc>) -> Result<()> {
        self.conn()?
            .prepare_cached(
                "INSERT INTO api_tokens (name, token_sha256, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![name, token_sha256, to_ms(now)])
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Taken {
                        what: "token name",
                        value: name.to_owned(),
                    }
                } else {
                    e.into()
                }
            })?;
        Ok(())
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

    /// The active token with this hash, noting (coarsely) that it was used.
    pub fn use_token(&self, token_sha256: &str, now: DateTime<Utc>) -> Result<Option<ApiToken>> {
        let conn = self.conn()?;
        let found = conn
            .prepare_cached(
                "SELECT id, name, coalesce(last_used_at, 0) FROM api_tokens \
                 WHERE token_sha256 = ?1 AND revoked_at IS NULL",
            )?
            .query_row([token_sha256], |r| {
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
