use super::releases::{RELEASE_COLUMNS, TOPICS_OF_RELEASE_SQL, attach_topics, release_from_row};
use super::scopes::{GLOBAL_NEWEST_SQL, TOPIC_NEWEST_SQL, last_modified_secs};
use super::topics::find_topic;
use super::{Result, Store, from_ms, to_ms};
use crate::model::{FeedScope, FeedSnapshot};
use chrono::{DateTime, Utc};

/// The newest visible releases in all feeds.
pub const ALL_FEED_SQL: &str = "SELECT {COLUMNS} FROM releases r \
     WHERE r.status = 'published' AND r.published_at <= ?1 \
     ORDER BY r.published_at DESC LIMIT ?2";
/// The newest visible releases of one topic.
pub const TOPIC_FEED_SQL: &str = "SELECT {COLUMNS} FROM release_topics rt \
     JOIN releases r ON r.id = rt.release_id \
     WHERE rt.topic_id = ?3 AND rt.feed_at <= ?1 \
     ORDER BY rt.feed_at DESC LIMIT ?2";
const ALL_NEXT_SQL: &str =
    "SELECT min(published_at) FROM releases WHERE status = 'published' AND published_at > ?1";
const TOPIC_NEXT_SQL: &str =
    "SELECT min(feed_at) FROM release_topics WHERE topic_id = ?2 AND feed_at > ?1";
/// When the global feeds last changed visibly (see `scopes.rs`).
const ALL_CHANGED_SQL: &str = "SELECT value FROM site_state WHERE key = 'feed_changed_at'";

impl Store {
    /// Reads one feed's items and validators at `now`, in one transaction.
    /// `None` when the scope names a topic that does not exist.
    pub fn feed_snapshot(
        &self,
        scope: &FeedScope,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Option<FeedSnapshot>> {
        let conn = self.conn()?;
        let tx = conn.unchecked_transaction()?;
        let now_ms = to_ms(now);
        let limit = limit as i64;
        let (topic, mut items, next, changed) = match scope {
            FeedScope::All => {
                let items = tx
                    .prepare_cached(&ALL_FEED_SQL.replace("{COLUMNS}", RELEASE_COLUMNS))?
                    .query_map(rusqlite::params![now_ms, limit], release_from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let next: Option<i64> = tx
                    .prepare_cached(ALL_NEXT_SQL)?
                    .query_row([now_ms], |r| r.get(0))?;
                let changed: i64 = tx
                    .prepare_cached(ALL_CHANGED_SQL)?
                    .query_row([], |r| r.get(0))?;
                (None, items, next, changed)
            }
            FeedScope::Topic(slug) => {
                let Some(topic) = find_topic(&tx, slug.as_str())? else {
                    return Ok(None);
                };
                let items = tx
                    .prepare_cached(&TOPIC_FEED_SQL.replace("{COLUMNS}", RELEASE_COLUMNS))?
                    .query_map(rusqlite::params![now_ms, limit, topic.id], release_from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let next: Option<i64> = tx
                    .prepare_cached(TOPIC_NEXT_SQL)?
                    .query_row([now_ms, topic.id], |r| r.get(0))?;
                let changed = to_ms(topic.changed_at);
                (Some(topic), items, next, changed)
            }
        };
        attach_topics(&tx, &mut items)?;
        // The newest item is the row `GLOBAL_NEWEST_SQL` / `TOPIC_NEWEST_SQL`
        // find for a writer, so both agree on the feed's Last-Modified.
        let newest = items
            .first()
            .map(|r| (to_ms(r.published_at), to_ms(r.changed_at)));
        let last_modified = last_modified_secs(changed, newest);
        Ok(Some(FeedSnapshot {
            topic,
            items,
            last_modified: DateTime::from_timestamp(last_modified, 0).unwrap_or_default(),
            next_change: next.map(from_ms),
        }))
    }
}

impl Store {
    /// `EXPLAIN QUERY PLAN` of every query a feed request runs, so tests can
    /// prove none of them scans a whole table.
    pub fn explain_feed_queries(&self) -> Result<Vec<(String, Vec<String>)>> {
        let columns = |sql: &str| sql.replace("{COLUMNS}", RELEASE_COLUMNS);
        let queries = [
            columns(ALL_FEED_SQL).replace("?1", "0").replace("?2", "50"),
            columns(TOPIC_FEED_SQL)
                .replace("?1", "0")
                .replace("?2", "50")
                .replace("?3", "1"),
            ALL_NEXT_SQL.replace("?1", "0"),
            TOPIC_NEXT_SQL.replace("?1", "0").replace("?2", "1"),
            ALL_CHANGED_SQL.to_owned(),
            GLOBAL_NEWEST_SQL.replace("?1", "0"),
            TOPIC_NEWEST_SQL.replace("?1", "0").replace("?2", "1"),
            TOPICS_OF_RELEASE_SQL.replace("?1", "1"),
        ];
        queries
            .into_iter()
            .map(|q| Ok((q.clone(), self.explain(&q)?)))
            .collect()
    }
}

impl Store {
    /// How many releases are in each status (for metrics).
    pub fn release_counts(&self) -> Result<Vec<(String, i64)>> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare_cached("SELECT status, count(*) FROM releases GROUP BY status")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
