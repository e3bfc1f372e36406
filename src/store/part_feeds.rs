//! The documents of a scope's parts: one month of it (an RFC 5005 archive
//! document, every release of that UTC month) and one language of it (the
//! newest releases in that language). Read like the current feeds
//! (`feeds.rs`): items and validators in one transaction.

use super::feeds::tombstones;
use super::parts::{self, GLOBAL};
use super::releases::{RELEASE_COLUMNS, attach_topics, release_from_row};
use super::scopes::last_modified_secs;
use super::topics::find_public_topic;
use super::{Result, Store, from_ms, to_ms};
use crate::domain::{Lang, Month};
use crate::model::{FeedKind, FeedScope, FeedSnapshot, Part, Topic};
use crate::store::db::{self, Conn, OptionalExtension};
use chrono::{DateTime, Duration, Utc};

/// The visible releases published in [?1, ?2) at ?3 (ms), newest first,
/// ?4 of them (-1: all) after skipping ?5; ?6 the topic.
const RANGE_ALL_SQL: &str = "SELECT {COLUMNS} FROM releases r WHERE r.status = 'published' \
     AND r.published_at >= ?1 AND r.published_at < ?2 AND r.published_at <= ?3 \
     ORDER BY r.published_at DESC, r.id DESC LIMIT ?4 OFFSET ?5";
const RANGE_TOPIC_SQL: &str = "SELECT {COLUMNS} FROM release_topics rt \
     JOIN releases r ON r.id = rt.release_id WHERE rt.topic_id = ?6 \
     AND rt.feed_at >= ?1 AND rt.feed_at < ?2 AND rt.feed_at <= ?3 ORDER BY rt.feed_at DESC, rt.release_id DESC \
     LIMIT ?4 OFFSET ?5";
/// The first release scheduled after ?1 in [?2, ?3).
const MONTH_NEXT_ALL_SQL: &str = "SELECT min(published_at) FROM releases \
     WHERE status = 'published' AND published_at > ?1 AND published_at >= ?2 AND published_at < ?3";
const MONTH_NEXT_TOPIC_SQL: &str = "SELECT min(feed_at) FROM release_topics \
     WHERE topic_id = ?4 AND feed_at > ?1 AND feed_at >= ?2 AND feed_at < ?3";
/// The newest visible releases in language ?3: ?1 now, ?2 limit.
const LANG_ALL_SQL: &str = "SELECT {COLUMNS} FROM releases r WHERE r.status = 'published' \
     AND r.lang = ?3 AND r.published_at <= ?1 ORDER BY r.published_at DESC, r.id DESC LIMIT ?2";
const LANG_TOPIC_SQL: &str = "SELECT {COLUMNS} FROM release_topics rt \
     JOIN releases r ON r.id = rt.release_id WHERE rt.topic_id = ?4 AND rt.feed_at <= ?1 \
     AND r.lang = ?3 ORDER BY rt.feed_at DESC, rt.release_id DESC LIMIT ?2";
const LANG_NEXT_ALL_SQL: &str = "SELECT min(published_at) FROM releases \
     WHERE status = 'published' AND lang = ?2 AND published_at > ?1";
const LANG_NEXT_TOPIC_SQL: &str = "SELECT min(rt.feed_at) FROM release_topics rt \
     JOIN releases r ON r.id = rt.release_id WHERE rt.topic_id = ?3 AND rt.feed_at > ?1 \
     AND r.lang = ?2";
/// The languages a scope (?1) ever had a release in: every one readers
/// see now has a part (`scopes.rs` writes one with the first release).
const LANGUAGE_PARTS_SQL: &str = "SELECT substr(part, 6) FROM feed_parts \
     WHERE topic_id = ?1 AND part >= 'lang:' AND part < 'lang;' ORDER BY part";
/// The first release published (now or later) in language ?1.
const LANG_FIRST_ALL_SQL: &str = "SELECT published_at, changed_at FROM releases \
     WHERE status = 'published' AND lang = ?1 ORDER BY published_at LIMIT 1";
const LANG_FIRST_TOPIC_SQL: &str = "SELECT r.published_at, r.changed_at FROM release_topics rt \
     JOIN releases r ON r.id = rt.release_id WHERE rt.topic_id = ?2 AND rt.feed_at IS NOT NULL \
     AND r.lang = ?1 ORDER BY rt.feed_at LIMIT 1";

/// The languages readers can subscribe to, for the OPML.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Languages {
    pub tags: Vec<Lang>,
    /// The second the newest of them appeared by itself (a scheduled
    /// release), if later than any write: counts in the OPML's Last-Modified.
    pub appeared: Option<DateTime<Utc>>,
    /// When a language not shown yet appears by itself.
    pub next_change: Option<DateTime<Utc>>,
}

/// The topic a scope names (`None` for the global scope) and its id in
/// `feed_parts`; `Err(())` for a topic that does not exist or readers
/// cannot see yet at `now_ms`.
fn resolve(
    conn: &Conn,
    scope: &FeedScope,
    now_ms: i64,
) -> Result<std::result::Result<(Option<Topic>, i64), ()>> {
    Ok(match scope {
        FeedScope::All => Ok((None, GLOBAL)),
        FeedScope::Topic(slug) => match find_public_topic(conn, slug.as_str(), now_ms)? {
            Some(t) => {
                let id = t.id;
                Ok((Some(t), id))
            }
            None => Err(()),
        },
    })
}

fn columns(sql: &str) -> String {
    sql.replace("{COLUMNS}", RELEASE_COLUMNS)
}

impl Store {
    /// Every release of `scope` published in `month` and visible at `now`,
    /// newest first, with the months on either side that have some.
    /// `None` for an unknown topic or a month with nothing to show.
    pub fn archive_snapshot(
        &self,
        scope: &FeedScope,
        month: Month,
        now: DateTime<Utc>,
    ) -> Result<Option<FeedSnapshot>> {
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        let now_ms = to_ms(now);
        let Ok((topic, id)) = resolve(&tx, scope, now_ms)? else {
            return Ok(None);
        };
        let (start, end) = (month.start_ms(), month.end_ms());
        let items = range(&tx, id, (start, end), now_ms, -1, 0)?;
        if items.is_empty() {
            return Ok(None);
        }
        let prev = parts::newest_before(&tx, id, start)?.and_then(|(p, _)| Month::of_ms(p));
        let next_first = parts::oldest_from(&tx, id, end, now_ms)?;
        let next = next_first.and_then(|(p, _)| Month::of_ms(p));
        // Until the next month with releases, a release scheduled there (or
        // here) changes this document by itself: its link or its items.
        let until = next.map_or(i64::MAX, Month::start_ms);
        let next_change: Option<i64> = if id == GLOBAL {
            tx.prepare_cached(MONTH_NEXT_ALL_SQL)?
                .query_row(db::params![now_ms, start, until], |r| r.get(0))?
        } else {
            tx.prepare_cached(MONTH_NEXT_TOPIC_SQL)?
                .query_row(db::params![now_ms, start, until, id], |r| r.get(0))?
        };
        let stamp = parts::part_stamp(&tx, id, &Part::Month(month))?;
        let newest = items
            .first()
            .map(|r| (to_ms(r.published_at), to_ms(r.changed_at)));
        // The next month's first release, if it appeared by itself, is
        // when this document's `next-archive` link appeared.
        let last_modified =
            last_modified_secs(stamp, newest).max(last_modified_secs(0, next_first));
        let updated_ties = super::feeds::updated_ties(&tx, &items)?;
        Ok(Some(FeedSnapshot {
            topic,
            updated_ties,
            items,
            last_modified: DateTime::from_timestamp(last_modified, 0).unwrap_or_default(),
            next_change: next_change.map(from_ms),
            tombstones: Vec::new(),
            kind: FeedKind::Archive { month, prev, next },
        }))
    }

    /// The newest `limit` releases of `scope` in `lang` visible at `now`
    /// (and, with a window, its tombstones in that language). `None` for an
    /// unknown topic or a language with nothing to show.
    pub fn lang_snapshot(
        &self,
        scope: &FeedScope,
        lang: &Lang,
        limit: usize,
        tombstone_window: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Result<Option<FeedSnapshot>> {
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        let now_ms = to_ms(now);
        let Ok((topic, id)) = resolve(&tx, scope, now_ms)? else {
            return Ok(None);
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let tag = lang.as_str();
        let (mut items, next): (Vec<_>, Option<i64>) = if id == GLOBAL {
            let items = tx
                .prepare_cached(&columns(LANG_ALL_SQL))?
                .query_map(db::params![now_ms, limit, tag], release_from_row)?
                .collect::<db::Result<Vec<_>>>()?;
            let next = tx
                .prepare_cached(LANG_NEXT_ALL_SQL)?
                .query_row(db::params![now_ms, tag], |r| r.get(0))?;
            (items, next)
        } else {
            let items = tx
                .prepare_cached(&columns(LANG_TOPIC_SQL))?
                .query_map(db::params![now_ms, limit, tag, id], release_from_row)?
                .collect::<db::Result<Vec<_>>>()?;
            let next = tx
                .prepare_cached(LANG_NEXT_TOPIC_SQL)?
                .query_row(db::params![now_ms, tag, id], |r| r.get(0))?;
            (items, next)
        };
        if items.is_empty() {
            return Ok(None);
        }
        attach_topics(&tx, &mut items)?;
        let topic_id = topic.as_ref().map(|t| t.id);
        let (tombstones, expired, next_expiry) = match tombstone_window {
            Some(window) => tombstones(&tx, topic_id, Some(tag), limit, window, now)?,
            None => (Vec::new(), None, None),
        };
        let stamp = parts::part_stamp(&tx, id, &Part::Lang(lang.clone()))?;
        let newest = items
            .first()
            .map(|r| (to_ms(r.published_at), to_ms(r.changed_at)));
        let last_modified = last_modified_secs(stamp, newest)
            .max(expired.map_or(i64::MIN, super::scopes::ceil_secs));
        let next_change = match (next, next_expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let updated_ties = super::feeds::updated_ties(&tx, &items)?;
        Ok(Some(FeedSnapshot {
            topic,
            updated_ties,
            items,
            last_modified: DateTime::from_timestamp(last_modified, 0).unwrap_or_default(),
            next_change: next_change.map(from_ms),
            tombstones,
            kind: FeedKind::Lang(lang.clone()),
        }))
    }

    /// The languages of `scope` with releases readers see at `now` (for
    /// the OPML and the pages' `hreflang` links). Read from the scope's
    /// language parts, a handful of rows, not from every release.
    pub fn languages(&self, scope: &FeedScope, now: DateTime<Utc>) -> Result<Languages> {
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        let now_ms = to_ms(now);
        let Ok((_, id)) = resolve(&tx, scope, now_ms)? else {
            return Ok(Languages::default());
        };
        let candidates = tx
            .prepare_cached(LANGUAGE_PARTS_SQL)?
            .query_map([id], |r| r.get::<_, String>(0))?
            .collect::<db::Result<Vec<_>>>()?;
        let mut out = Languages::default();
        let mut appeared = i64::MIN;
        let mut next = i64::MAX;
        for tag in candidates {
            let first: Option<(i64, i64)> = if id == GLOBAL {
                tx.prepare_cached(LANG_FIRST_ALL_SQL)?
                    .query_row([&tag], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
            } else {
                tx.prepare_cached(LANG_FIRST_TOPIC_SQL)?
                    .query_row(db::params![&tag, id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
            };
            let (Some((published, written)), Ok(lang)) = (first, Lang::parse(&tag)) else {
                continue;
            };
            if published <= now_ms {
                appeared = appeared.max(last_modified_secs(i64::MIN, Some((published, written))));
                out.tags.push(lang);
            } else {
                next = next.min(published);
            }
        }
        out.appeared = DateTime::from_timestamp(appeared, 0).filter(|_| appeared > i64::MIN);
        out.next_change = (next < i64::MAX).then(|| from_ms(next));
        Ok(out)
    }
}

/// The visible releases of scope `id` published in `[from, to)`, newest
/// first, `limit` (-1: all) after `offset`, with their topics.
fn range(
    conn: &Conn,
    id: i64,
    (from, to): (i64, i64),
    now_ms: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<crate::model::Release>> {
    // SQLite reads a negative LIMIT as none; PostgreSQL refuses it.
    let limit = if limit < 0 { i64::MAX } else { limit };
    let mut items = if id == GLOBAL {
        conn.prepare_cached(&columns(RANGE_ALL_SQL))?
            .query_map(
                db::params![from, to, now_ms, limit, offset],
                release_from_row,
            )?
            .collect::<db::Result<Vec<_>>>()?
    } else {
        conn.prepare_cached(&columns(RANGE_TOPIC_SQL))?
            .query_map(
                db::params![from, to, now_ms, limit, offset, id],
                release_from_row,
            )?
            .collect::<db::Result<Vec<_>>>()?
    };
    attach_topics(conn, &mut items)?;
    Ok(items)
}

/// One page of a scope's releases for the HTML pages.
#[derive(Debug, Clone)]
pub struct PageOfReleases {
    pub topic: Option<Topic>,
    pub items: Vec<crate::model::Release>,
    /// Whether a further (older) page exists.
    pub more: bool,
    /// When a scheduled release next appears on the first page.
    pub next_change: Option<DateTime<Utc>>,
    /// For a month: the nearest months before and after with releases.
    pub neighbours: (Option<Month>, Option<Month>),
}

impl Store {
    /// Page `page` (from 1) of `size` releases of `scope`, newest first,
    /// within `month` when given. `None` for an unknown topic, or a page
    /// past the last (page 1 of a scope or month with nothing is a 404 for
    /// a month only: an empty site still has a home page).
    pub fn release_page(
        &self,
        scope: &FeedScope,
        month: Option<Month>,
        size: usize,
        page: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<PageOfReleases>> {
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        let now_ms = to_ms(now);
        let Ok((topic, id)) = resolve(&tx, scope, now_ms)? else {
            return Ok(None);
        };
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let offset = i64::from(page.saturating_sub(1)).saturating_mul(size);
        let bounds = month.map_or((i64::MIN, i64::MAX), |m| (m.start_ms(), m.end_ms()));
        let mut items = range(&tx, id, bounds, now_ms, size.saturating_add(1), offset)?;
        if items.is_empty() && (page > 1 || month.is_some()) {
            return Ok(None);
        }
        let more = items.len() as i64 > size;
        items.truncate(usize::try_from(size).unwrap_or(usize::MAX));
        let next_change: Option<i64> = if page > 1 {
            None
        } else if id == GLOBAL {
            tx.prepare_cached(MONTH_NEXT_ALL_SQL)?
                .query_row(db::params![now_ms, bounds.0, bounds.1], |r| r.get(0))?
        } else {
            tx.prepare_cached(MONTH_NEXT_TOPIC_SQL)?
                .query_row(db::params![now_ms, bounds.0, bounds.1, id], |r| r.get(0))?
        };
        let neighbours = match month {
            Some(m) => parts::neighbours(&tx, id, m, now_ms)?,
            None => (None, None),
        };
        Ok(Some(PageOfReleases {
            topic,
            items,
            more,
            next_change: next_change.map(from_ms),
            neighbours,
        }))
    }

    /// The month of the newest release of `scope` readers see.
    pub fn newest_month(&self, scope: &FeedScope, now: DateTime<Utc>) -> Result<Option<Month>> {
        let conn = self.conn()?;
        let now_ms = to_ms(now);
        let Ok((_, id)) = resolve(&conn, scope, now_ms)? else {
            return Ok(None);
        };
        Ok(
            parts::newest_before(&conn, id, to_ms(now).saturating_add(1))?
                .and_then(|(p, _)| Month::of_ms(p)),
        )
    }
}

/// `EXPLAIN QUERY PLAN` inputs of the part feeds (see `explain_feed_queries`).
pub(super) fn queries_to_explain() -> Vec<String> {
    let lit = |sql: &str, values: &[&str]| {
        let mut s = columns(sql);
        for (i, v) in values.iter().enumerate().rev() {
            s = s.replace(&format!("?{}", i + 1), v);
        }
        s
    };
    let mut out = vec![
        lit(RANGE_ALL_SQL, &["0", "1", "2", "20", "40"]),
        lit(RANGE_TOPIC_SQL, &["0", "1", "2", "20", "40", "3"]),
        lit(LANGUAGE_PARTS_SQL, &["0"]),
        lit(LANG_FIRST_ALL_SQL, &["'ar'"]),
        lit(MONTH_NEXT_ALL_SQL, &["0", "1", "2"]),
        lit(MONTH_NEXT_TOPIC_SQL, &["0", "1", "2", "3"]),
        lit(LANG_ALL_SQL, &["0", "50", "'ar'"]),
        lit(LANG_TOPIC_SQL, &["0", "50", "'ar'", "3"]),
        lit(LANG_NEXT_ALL_SQL, &["0", "'ar'"]),
        lit(LANG_NEXT_TOPIC_SQL, &["0", "'ar'", "3"]),
    ];
    out.extend(parts::queries_to_explain());
    out
}
