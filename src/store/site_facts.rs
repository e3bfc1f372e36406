//! Facts recorded once, on the first start, that later processes keep even
//! when their settings say otherwise.

use super::{Result, Store};
use crate::store::db::{OptionalExtension, params};

impl Store {
    /// The authority release ids are minted under: the one recorded in the
    /// database, or `configured` (recorded now) when none is. Ids are
    /// permanent, so a process started later with another base URL (a new
    /// host name, an operator command without the service's settings) keeps
    /// minting under the first authority.
    pub fn tag_authority(&self, configured: &str) -> Result<String> {
        let conn = self.conn()?;
        let recorded: Option<String> = conn
            .prepare_cached("SELECT value FROM site_facts WHERE name = 'tag_authority'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        if let Some(recorded) = recorded {
            return Ok(recorded);
        }
        conn.prepare_cached(
            "INSERT INTO site_facts (name, value) VALUES ('tag_authority', ?1) ON CONFLICT (name) DO NOTHING",
        )?
        .execute(params![configured])?;
        Ok(conn
            .prepare_cached("SELECT value FROM site_facts WHERE name = 'tag_authority'")?
            .query_row([], |r| r.get(0))?)
    }
}
