//! Newsroom accounts. Passwords arrive here already hashed.

use super::{Conflict, Result, Store, from_ms, to_ms, unique_or};
use crate::store::db::{self, OptionalExtension, Row, params};
use chrono::{DateTime, Utc};

/// One admin account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAccount {
    pub id: i64,
    pub username: String,
    /// argon2 PHC string.
    pub password_hash: String,
    pub password_changed_at: DateTime<Utc>,
}

const ADMIN_COLUMNS: &str = "id, username, password_hash, password_changed_at";

fn admin_from_row(row: &Row<'_>) -> db::Result<AdminAccount> {
    Ok(AdminAccount {
        id: row.get(0)?,
        username: row.get(1)?,
        password_hash: row.get(2)?,
        password_changed_at: from_ms(row.get(3)?),
    })
}

impl Store {
    /// Creates an account; `Taken` when the username exists.
    pub fn create_admin(
        &self,
        username: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let conn = self.conn()?;
        conn.prepare_cached(
            "INSERT INTO admins (username, password_hash, created_at, password_changed_at) \
             VALUES (?1, ?2, ?3, ?3) RETURNING id",
        )?
        .query_row(params![username, password_hash, to_ms(now)], |r| r.get(0))
        .map_err(unique_or(|| Conflict::UsernameTaken(username.to_owned())))
    }

    /// Replaces the password; false when there is no such account. Every
    /// open session of the account ends with it.
    pub fn set_admin_password(
        &self,
        username: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        let n = tx
            .prepare_cached(
                "UPDATE admins SET password_hash = ?2, \
                 password_changed_at = greatest(password_changed_at + 1, ?3) WHERE username = ?1",
            )?
            .execute(params![username, password_hash, to_ms(now)])?;
        tx.prepare_cached(
            "UPDATE admin_sessions SET ended_at = ?2 \
             WHERE ended_at IS NULL AND admin_id = (SELECT id FROM admins WHERE username = ?1)",
        )?
        .execute(params![username, to_ms(now)])?;
        tx.commit()?;
        Ok(n > 0)
    }

    pub fn admin_by_username(&self, username: &str) -> Result<Option<AdminAccount>> {
        Ok(self
            .conn()?
            .prepare_cached(&format!(
                "SELECT {ADMIN_COLUMNS} FROM admins WHERE username = ?1"
            ))?
            .query_row([username], admin_from_row)
            .optional()?)
    }

    pub fn admin_by_id(&self, id: i64) -> Result<Option<AdminAccount>> {
        Ok(self
            .conn()?
            .prepare_cached(&format!("SELECT {ADMIN_COLUMNS} FROM admins WHERE id = ?1"))?
            .query_row([id], admin_from_row)
            .optional()?)
    }

    pub fn count_admins(&self) -> Result<i64> {
        Ok(self
            .conn()?
            .query_row("SELECT count(*) FROM admins", [], |r| r.get(0))?)
    }
}
