use super::{Result, Store, from_ms};
use crate::model::Topic;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};

const TOPIC_COLUMNS: &str = "id, slug, name, description, changed_at";

fn topic_from_row(row: &Row<'_>) -> rusqlite::Result<Topic> {
    Ok(Topic {
        id: row.get(0)?,
        slug: row.get(1)?,
        name: row.get(2)?,
        description: row.get(3)?,
        changed_at: from_ms(row.get(4)?),
    })
}

pub(super) fn find_topic(conn: &Connection, slug: &str) -> rusqlite::Result<Option<Topic>> {
    conn.prepare_cached(&format!(
        "SELECT {TOPIC_COLUMNS} FROM topics WHERE slug = ?1"
    ))?
    .query_row([slug], topic_from_row)
    .optional()
}

impl Store {
    /// All topics by name, and when that list last changed.
    pub fn topics(&self) -> Result<(Vec<Topic>, DateTime<Utc>)> {
        let conn = self.conn()?;
        let tx = conn.unchecked_transaction()?;
        let topics = tx
            .prepare_cached(&format!(
                "SELECT {TOPIC_COLUMNS} FROM topics ORDER BY name COLLATE NOCASE, slug"
            ))?
            .query_map([], topic_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let changed: i64 = tx.query_row(
            "SELECT value FROM site_state WHERE key = 'topics_changed_at'",
            [],
            |r| r.get(0),
        )?;
        Ok((topics, from_ms(changed)))
    }

    pub fn topic_by_slug(&self, slug: &str) -> Result<Option<Topic>> {
        Ok(find_topic(&*self.conn()?, slug)?)
    }
}
