use super::releases::{
    RELEASE_COLUMNS, TOPICS_OF_RELEASE_SQL, attach_topics, attach_translations, release_from_row,
};
use super::scopes::{
    GLOBAL_NEWEST_SQL, GLOBAL_STAMP_SQL, TOPIC_NEWEST_SQL, ceil_secs, last_modified_secs,
};
use super::topics::find_public_topic;
use super::{Result, Store, from_ms, to_ms};
use crate::model::{FeedScope, FeedSnapshot, Tombstone};
use crate::store::db::{self, Conn, OptionalExtension};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// The newest visible releases in all feeds.
pub const ALL_FEED_SQL: &str = "SELECT {COLUMNS} FROM releases r \
     WHERE r.status = 'published' AND r.published_at <= ?1 \
     ORDER BY r.published_at DESC, r.id DESC LIMIT ?2";
/// The newest visible releases of one topic.
pub const TOPIC_FEED_SQL: &str = "SELECT {COLUMNS} FROM release_topics rt \
     JOIN releases r ON r.id = rt.release_id \
     WHERE rt.topic_id = ?3 AND rt.feed_at <= ?1 \
     ORDER BY rt.feed_at DESC, rt.release_id DESC LIMIT ?2";
const ALL_NEXT_SQL: &str =
    "SELECT min(published_at) FROM releases WHERE status = 'published' AND published_at > ?1";
const TOPIC_NEXT_SQL: &str =
    "SELECT min(feed_at) FROM release_topics WHERE topic_id = ?2 AND feed_at > ?1";
/// Releases retracted in (?1, ?2], newest first; ?4 is a topic id or NULL
/// for the global feed, ?5 a language or NULL for all. A release retracted before it was ever visible
/// (scheduled, then withdrawn) was in nobody's feed: no tombstone.
const TOMBSTONES_SQL: &str = "SELECT r.uid, r.slug, r.lang, r.retracted_at, r.retraction_note \
     FROM releases r WHERE r.status = 'retracted' AND r.retracted_at > ?1 AND r.retracted_at <= ?2 \
     AND r.published_at <= r.retracted_at AND (CAST(?4 AS BIGINT) IS NULL OR EXISTS \
     (SELECT 1 FROM release_topics rt WHERE rt.release_id = r.id AND rt.topic_id = ?4)) \
     AND (CAST(?5 AS TEXT) IS NULL OR r.lang = ?5) \
     ORDER BY r.retracted_at DESC, r.id DESC LIMIT ?3";
/// The newest retraction at or before ?1 in the scope (?2: topic id or
/// NULL; ?3: a language or NULL): its tombstone left the feed at that
/// instant plus the window.
const TOMBSTONE_EXPIRED_SQL: &str = "SELECT r.retracted_at FROM releases r \
     WHERE r.status = 'retracted' AND r.retracted_at <= ?1 AND r.published_at <= r.retracted_at \
     AND (CAST(?2 AS BIGINT) IS NULL OR EXISTS \
     (SELECT 1 FROM release_topics rt WHERE rt.release_id = r.id AND rt.topic_id = ?2)) \
     AND (CAST(?3 AS TEXT) IS NULL OR r.lang = ?3) \
     ORDER BY r.retracted_at DESC LIMIT 1";

impl Store {
    /// Reads one feed's items and validators at `now`, in one transaction.
    /// `None` when the scope names a topic that does not exist.
    pub fn feed_snapshot(
        &self,
        scope: &FeedScope,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Option<FeedSnapshot>> {
        self.feed_snapshot_with_tombstones(scope, limit, None, now)
    }

    /// [`Store::feed_snapshot`] plus up to `limit` tombstones: the scope's
    /// releases retracted within `tombstone_window` before `now`. A
    /// tombstone leaving is a change of the document no write makes, like a
    /// scheduled release appearing: it counts in `last_modified` (rounded
    /// up) and `next_change`.
    pub fn feed_snapshot_with_tombstones(
        &self,
        scope: &FeedScope,
        limit: usize,
        tombstone_window: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Result<Option<FeedSnapshot>> {
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        let now_ms = to_ms(now);
        let limit = limit as i64;
        let (topic, mut items, next, changed) = match scope {
            FeedScope::All => {
                let items = tx
                    .prepare_cached(&ALL_FEED_SQL.replace("{COLUMNS}", RELEASE_COLUMNS))?
                    .query_map(db::params![now_ms, limit], release_from_row)?
                    .collect::<db::Result<Vec<_>>>()?;
                let next: Option<i64> = tx
                    .prepare_cached(ALL_NEXT_SQL)?
                    .query_row([now_ms], |r| r.get(0))?;
                let changed: i64 = tx
                    .prepare_cached(GLOBAL_STAMP_SQL)?
                    .query_row([], |r| r.get(0))?;
                (None, items, next, changed)
            }
            FeedScope::Topic(slug) => {
                let Some(topic) = find_public_topic(&tx, slug.as_str(), now_ms)? else {
                    return Ok(None);
                };
                let items = tx
                    .prepare_cached(&TOPIC_FEED_SQL.replace("{COLUMNS}", RELEASE_COLUMNS))?
                    .query_map(db::params![now_ms, limit, topic.id], release_from_row)?
                    .collect::<db::Result<Vec<_>>>()?;
                let next: Option<i64> = tx
                    .prepare_cached(TOPIC_NEXT_SQL)?
                    .query_row([now_ms, topic.id], |r| r.get(0))?;
                let changed = to_ms(topic.changed_at);
                (Some(topic), items, next, changed)
            }
        };
        attach_topics(&tx, &mut items)?;
        let updated_ties = updated_ties(&tx, &items)?;
        // A translation of an item appearing by itself changes the document.
        let next = match (next, attach_translations(&tx, &mut items, now)?) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // The newest item is the row `GLOBAL_NEWEST_SQL` / `TOPIC_NEWEST_SQL`
        // find for a writer, so both agree on the feed's Last-Modified.
        let newest = items
            .first()
            .map(|r| (to_ms(r.published_at), to_ms(r.changed_at)));
        let topic_id = topic.as_ref().map(|t| t.id);
        let (tombstones, expired, next_expiry) = match tombstone_window {
            Some(window) => tombstones(&tx, topic_id, None, limit, window, now)?,
            None => (Vec::new(), None, None),
        };
        let last_modified =
            last_modified_secs(changed, newest).max(expired.map_or(i64::MIN, ceil_secs));
        let next_change = match (next, next_expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Some(FeedSnapshot {
            topic,
            items,
            last_modified: DateTime::from_timestamp(last_modified, 0).unwrap_or_default(),
            next_change: next_change.map(from_ms),
            tombstones,
            updated_ties,
            kind: crate::model::FeedKind::Current,
        }))
    }
}

/// Each item's rank among releases created before it with the same
/// `updated_at` (see [`FeedSnapshot::entry_updated`]); only ranks above 0.
///
/// One ordered scan of the `(updated_at, id)` index over the items' span
/// when that span holds not many more rows than the items (an archive
/// month, a feed of recent releases): a row's rank is its place in its
/// run of equal instants. Items spread thinly over a long span (a search
/// feed over years) are counted one index lookup each instead, so neither
/// way reads more than a few rows per item.
pub(super) fn updated_ties(
    conn: &Conn,
    items: &[crate::model::Release],
) -> db::Result<HashMap<i64, i64>> {
    ties_within(
        conn,
        items,
        items.len().saturating_mul(4).saturating_add(256),
    )
}

/// [`updated_ties`], scanning the span only if it holds fewer than
/// `budget` rows.
fn ties_within(
    conn: &Conn,
    items: &[crate::model::Release],
    budget: usize,
) -> db::Result<HashMap<i64, i64>> {
    let mut ties = HashMap::new();
    let (Some(low), Some(high)) = (
        items.iter().map(|r| to_ms(r.updated_at)).min(),
        items.iter().map(|r| to_ms(r.updated_at)).max(),
    ) else {
        return Ok(ties);
    };
    let mut scan = conn.prepare_cached(
        "SELECT updated_at, id FROM releases WHERE updated_at >= ?1 AND updated_at <= ?2 \
         ORDER BY updated_at, id LIMIT ?3",
    )?;
    let rows = scan
        .query_map(
            db::params![low, high, i64::try_from(budget).unwrap_or(i64::MAX)],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
        )?
        .collect::<db::Result<Vec<_>>>()?;
    if rows.len() < budget {
        let wanted: std::collections::HashSet<i64> = items.iter().map(|r| r.id).collect();
        let mut run = (i64::MIN, 0);
        for (at, id) in rows {
            run = if at == run.0 {
                (at, run.1 + 1)
            } else {
                (at, 0)
            };
            if run.1 > 0 && wanted.contains(&id) {
                ties.insert(id, run.1);
            }
        }
        return Ok(ties);
    }
    if conn.is_postgres() {
        // One statement for all the items: each lookup is a round trip.
        let ids = db::id_list(items.iter().map(|r| r.id));
        let ranks = conn
            .prepare_cached(
                "SELECT r.id, (SELECT count(*) FROM releases x \
                 WHERE x.updated_at = r.updated_at AND x.id < r.id) \
                 FROM releases r WHERE r.id IN (SELECT value FROM json_each(?1))",
            )?
            .query_map([ids], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
            })?
            .collect::<db::Result<Vec<_>>>()?;
        ties.extend(ranks.into_iter().filter(|(_, n)| *n > 0));
        return Ok(ties);
    }
    let mut rank =
        conn.prepare_cached("SELECT count(*) FROM releases WHERE updated_at = ?1 AND id < ?2")?;
    for r in items {
        let n: i64 = rank.query_row(db::params![to_ms(r.updated_at), r.id], |row| row.get(0))?;
        if n > 0 {
            ties.insert(r.id, n);
        }
    }
    Ok(ties)
}

pub(super) type TombstoneRead = (Vec<Tombstone>, Option<i64>, Option<i64>);

/// The scope's tombstones at `now`, when the latest one left (ms), and
/// when the oldest shown one will leave (ms). Older ones leave first, so
/// that is the next instant the list changes.
pub(super) fn tombstones(
    conn: &Conn,
    topic_id: Option<i64>,
    lang: Option<&str>,
    limit: i64,
    window: Duration,
    now: DateTime<Utc>,
) -> db::Result<TombstoneRead> {
    let now_ms = to_ms(now);
    let window_ms = window.num_milliseconds();
    let since = now_ms.saturating_sub(window_ms);
    let list = conn
        .prepare_cached(TOMBSTONES_SQL)?
        .query_map(db::params![since, now_ms, limit, topic_id, lang], |row| {
            Ok(Tombstone {
                uid: row.get(0)?,
                slug: row.get(1)?,
                lang: row.get(2)?,
                retracted_at: from_ms(row.get(3)?),
                retraction_note: row.get(4)?,
            })
        })?
        .collect::<db::Result<Vec<_>>>()?;
    let expired: Option<i64> = conn
        .prepare_cached(TOMBSTONE_EXPIRED_SQL)?
        .query_row(db::params![since, topic_id, lang], |r| r.get(0))
        .optional()?;
    let next_expiry = list
        .last()
        .map(|t| to_ms(t.retracted_at).saturating_add(window_ms));
    Ok((
        list,
        expired.map(|t| t.saturating_add(window_ms)),
        next_expiry,
    ))
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
            GLOBAL_STAMP_SQL.to_owned(),
            TOMBSTONES_SQL
                .replace("?1", "0")
                .replace("?2", "1")
                .replace("?3", "50")
                .replace("?4", "NULL")
                .replace("?5", "NULL"),
            TOMBSTONES_SQL
                .replace("?1", "0")
                .replace("?2", "1")
                .replace("?3", "50")
                .replace("?4", "1")
                .replace("?5", "'ar'"),
            TOMBSTONE_EXPIRED_SQL
                .replace("?1", "0")
                .replace("?2", "1")
                .replace("?3", "NULL"),
            GLOBAL_NEWEST_SQL.replace("?1", "0"),
            TOPIC_NEWEST_SQL.replace("?1", "0").replace("?2", "1"),
            TOPICS_OF_RELEASE_SQL.replace("?1", "1"),
        ];
        queries
            .into_iter()
            .chain(super::part_feeds::queries_to_explain())
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
        Ok(rows.collect::<db::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::super::releases::test_store;
    use super::*;
    use crate::domain::ReleaseInput;

    /// The scan of the span and the lookup per item rank the same
    /// releases the same: each release's place among those created before
    /// it at its `updated_at`, counting releases outside the items too.
    #[test]
    fn both_ways_of_ranking_ties_agree() {
        let (_dir, store, now) = test_store();
        let at = |h: i64| (now - Duration::hours(h)).to_rfc3339();
        let drafts: Vec<_> = [(1, 3), (2, 1), (3, 4), (4, 2), (5, 1), (6, 3), (7, 3)]
            .into_iter()
            .map(|(i, h)| {
                ReleaseInput {
                    slug: format!("r{i}"),
                    title: format!("R{i}"),
                    body_html: "<p>x</p>".into(),
                    organization: "O".into(),
                    lang: "en".into(),
                    published_at: at(h),
                    topics: vec!["t".into()],
                    ..Default::default()
                }
                .validate()
                .unwrap()
            })
            .collect();
        store
            .save_releases(&drafts, now, "e.org", &mut |_| {})
            .unwrap();
        let mut all = store
            .feed_snapshot(&FeedScope::All, 50, now)
            .unwrap()
            .unwrap()
            .items;
        let conn = store.conn().unwrap();
        let id = |slug: &str| all.iter().find(|r| r.slug == slug).unwrap().id;
        let expected = HashMap::from([(id("r6"), 1), (id("r7"), 2), (id("r5"), 1)]);
        // Not every release at an instant is among the items: r1 and r2
        // are not, and still count for r6, r7 and r5.
        all.retain(|r| r.slug != "r1" && r.slug != "r2");
        assert_eq!(ties_within(&conn, &all, 1000).unwrap(), expected);
        assert_eq!(ties_within(&conn, &all, 0).unwrap(), expected);
        assert_eq!(updated_ties(&conn, &all).unwrap(), expected);
        assert!(updated_ties(&conn, &[]).unwrap().is_empty());
    }
}
