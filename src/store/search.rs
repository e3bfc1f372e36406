//! Full-text search (SQLite FTS5): the index kept in step with every
//! release write, and the search itself.
//!
//! `release_search` is a contentless FTS5 table (`content=''`): it holds
//! the index and not the text again, which the releases table has (a copy
//! would double the database). Its one column is the release's title,
//! summary and body text, folded in Rust (`domain::search::fold`, through
//! the SQL function `pressfeed_search_text` that every connection of ours
//! has) so that Arabic and Latin spellings meet; queries are folded the
//! same way. Published releases are indexed (scheduled ones too, kept out
//! of results until their time by the query), and retracted ones, never
//! found, so that a search feed's Last-Modified can count a retraction
//! that took a result away (`SearchResults::last_modified`); a draft has
//! no row.
//!
//! Newest first without sorting every match: a row's rowid is its release's
//! `search_key`, `published_at` (ms) × 2^20 plus the release id modulo 2^20
//! (the next free value on the rare collision), so FTS5 walks the matches
//! in rowid order from the newest down and stops at the page's end, however
//! many releases a common word is in.

use super::releases::{RELEASE_COLUMNS, attach_topics, release_from_row};
use super::topics::find_topic;
use super::{Result, Store, from_ms, to_ms};
use crate::domain::search::{SearchQuery, fold, html_text};
use crate::model::Release;
use crate::store::db::{self, Conn, OptionalExtension, params};
use chrono::{DateTime, Utc};
use rusqlite::functions::FunctionFlags;

const KEY_SPREAD: i64 = 1 << 20;

/// Registers `pressfeed_search_text(title, summary, body_html)`, the folded
/// text the index holds (migrations use it too).
pub(super) fn register_functions(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "pressfeed_search_text",
        3,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let title: String = ctx.get::<Option<String>>(0)?.unwrap_or_default();
            let summary: String = ctx.get::<Option<String>>(1)?.unwrap_or_default();
            let body: String = ctx.get::<Option<String>>(2)?.unwrap_or_default();
            Ok(search_text(&title, &summary, &body))
        },
    )
}

fn search_text(title: &str, summary: &str, body_html: &str) -> String {
    let mut text = fold(title);
    for part in [fold(summary), fold(&html_text(body_html))] {
        if !part.is_empty() {
            text.push(' ');
            text.push_str(&part);
        }
    }
    text
}

/// Releases in one batch from which the search index is fed in larger
/// pieces ([`BulkIndex`]).
const BULK_MIN_RELEASES: usize = 1_000;
/// FTS5's in-memory term table for a bulk batch (bytes of index data held
/// before a segment is written): at the table's 8 MB, 100,000 releases
/// make dozens of small segments that FTS5 then merges again and again.
const BULK_HASH_BYTES: i64 = 64 << 20;

/// A larger FTS5 `hashsize` for the span of one bulk transaction, set
/// back before it commits (so the table's setting, and every other
/// writer's memory, is as before): the pending index data is written as
/// a few large segments, so far less is merged.
pub(super) struct BulkIndex {
    previous: Option<i64>,
}

impl BulkIndex {
    pub(super) fn begin(conn: &Conn, releases: usize) -> Result<Self> {
        if releases < BULK_MIN_RELEASES || conn.is_postgres() {
            return Ok(Self { previous: None });
        }
        let previous: Option<i64> = conn
            .prepare_cached("SELECT v FROM release_search_config WHERE k = 'hashsize'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        // FTS5's own default when the table never set one.
        let previous = previous.unwrap_or(1 << 20);
        set_hash_size(conn, BULK_HASH_BYTES.max(previous))?;
        Ok(Self {
            previous: Some(previous),
        })
    }

    /// Sets the table's own `hashsize` again (inside the transaction).
    pub(super) fn end(self, conn: &Conn) -> Result<()> {
        if let Some(previous) = self.previous {
            set_hash_size(conn, previous)?;
        }
        Ok(())
    }
}

fn set_hash_size(conn: &Conn, bytes: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO release_search (release_search, rank) VALUES ('hashsize', ?1)",
    )?
    .execute([bytes])?;
    Ok(())
}

/// Brings release `id`'s index row in step with the release as stored now
/// (inside the caller's transaction): removed unless published, written
/// again under its key otherwise.
pub(super) fn index_release(conn: &Conn, id: i64) -> Result<()> {
    index_releases(conn, &[id])
}

/// [`index_release`] for each of `ids`, with the index written in rowid
/// order: FTS5 writes out its pending terms as a new segment whenever a
/// row's rowid is lower than the one before (and merges those segments
/// later), so a batch fed in the file's order (dates at random) made a
/// segment of one or two releases at a time. Sorted, a batch makes one
/// segment per `hashsize` of data.
pub(super) fn index_releases(conn: &Conn, ids: &[i64]) -> Result<()> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut removed = Vec::new();
    let mut written = Vec::with_capacity(ids.len());
    let mut current =
        conn.prepare_cached("SELECT search_key, status, published_at FROM releases WHERE id = ?1")?;
    let mut taken = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM releases WHERE search_key = ?1 AND id != ?2)",
    )?;
    let mut set_key = conn.prepare_cached("UPDATE releases SET search_key = ?2 WHERE id = ?1")?;
    for id in ids {
        let Some((old_key, status, published_ms)) = current
            .query_row([id], |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .optional()?
        else {
            continue;
        };
        removed.extend(old_key);
        if status != "published" && status != "retracted" {
            if old_key.is_some() {
                set_key.execute(params![id, None::<i64>])?;
            }
            continue;
        }
        let mut key = published_ms
            .saturating_mul(KEY_SPREAD)
            .saturating_add(id.rem_euclid(KEY_SPREAD));
        while taken.query_row(params![key, id], |r| r.get::<_, bool>(0))? {
            key = key.saturating_add(1);
        }
        if old_key != Some(key) {
            set_key.execute(params![id, key])?;
        }
        written.push((key, id));
    }
    removed.sort_unstable();
    let mut delete = conn.prepare_cached("DELETE FROM release_search WHERE rowid = ?1")?;
    for key in removed {
        delete.execute([key])?;
    }
    written.sort_unstable();
    // One row per statement, the text folded here: an `INSERT … SELECT`
    // may write several rows, so SQLite opens a statement savepoint for
    // it, and FTS5 writes its pending terms out as a segment at every
    // savepoint, which is once per release.
    let mut text = conn.prepare_cached(
        "SELECT coalesce(title, ''), coalesce(summary, ''), coalesce(body_html, '') \
         FROM releases WHERE id = ?1",
    )?;
    let mut insert =
        conn.prepare_cached("INSERT INTO release_search (rowid, doc) VALUES (?1, ?2)")?;
    for (key, id) in written {
        let doc = text.query_row([id], |r| {
            Ok(search_text(
                &r.get::<_, String>(0)?,
                &r.get::<_, String>(1)?,
                &r.get::<_, String>(2)?,
            ))
        })?;
        insert.execute(params![key, doc])?;
    }
    Ok(())
}

/// The FTS5 query for `query`: each term a quoted string (a phrase when it
/// has several words), all required. Terms hold only word characters
/// (`domain::search`), so nothing a reader types is FTS5 syntax.
fn fts_expression(query: &SearchQuery) -> String {
    let terms: Vec<String> = query
        .terms()
        .iter()
        .map(|t| format!("\"{}\"", t.join(" ").replace('"', "")))
        .collect();
    terms.join(" ")
}

/// The lowest key of a stretch of keys ending at `high` that holds at
/// most `n` releases having every one of `words`: the key of the `n`-th
/// newest release at or below `high` with the rarest of the words (the
/// one whose `n`-th is furthest back), so the stretch holds `n` releases
/// with that word, and no more with all of them. `None` when a word is in fewer than `n`
/// releases at or below `high`: everything below is one stretch.
fn stretch_floor(conn: &Conn, words: &[String], high: i64, n: usize) -> Result<Option<i64>> {
    let mut nth = conn.prepare_matching(NTH_KEY_SQL)?;
    let mut floor = i64::MAX;
    for w in words {
        let key: Option<i64> = nth
            .query_row(
                params![format!("\"{w}\""), high, n.saturating_sub(1) as i64],
                |r| r.get(0),
            )
            .optional()?;
        match key {
            Some(k) => floor = floor.min(k),
            None => return Ok(None),
        }
    }
    Ok(Some(floor))
}

/// Restricts a search to a topic (by slug) and/or a language tag.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub topic: Option<String>,
    pub lang: Option<String>,
}

/// One page of results, newest first.
#[derive(Debug, Clone)]
pub struct SearchResults {
    pub items: Vec<Release>,
    /// Whether more results follow this page.
    pub more: bool,
    /// The newest visible change among the items (whole seconds, the
    /// instant a scheduled one became visible rounded up), or the newest
    /// retraction of a release that matches and would be among them (it
    /// left them then), whichever is later; the epoch when there are none.
    pub last_modified: DateTime<Utc>,
    /// When the next scheduled release that matches becomes visible.
    pub next_change: Option<DateTime<Utc>>,
    /// As in a feed snapshot: so an entry's Atom `updated` is the same in
    /// a search feed as in every other feed.
    pub updated_ties: std::collections::HashMap<i64, i64>,
    /// Set when a phrase search stopped at its cost limit
    /// ([`PHRASE_BUDGET`]) before it had a full page: every release
    /// published at or after this instant was searched, older ones were
    /// not, so older matches may exist that are not shown.
    pub searched_since: Option<DateTime<Utc>>,
}

/// The most releases holding every word of a query with a phrase that
/// one search reads, newest first. A phrase costs a look at each such
/// release's word positions; two common words that are never side by side
/// would otherwise have the positions of nearly every release read (over
/// 400 ms at a million releases). Past the limit the search returns the
/// matches it found, newest first, and says from when it searched
/// ([`SearchResults::searched_since`]). A query with a rarer word is exact
/// however old its matches: the limit counts releases with every word.
pub const PHRASE_BUDGET: usize = 100_000;
/// The releases with every word read in the first stretch of a phrase
/// search: enough for a page of a phrase that is often used, cheap to
/// find the end of.
const FIRST_STRETCH: usize = 2_000;

/// What a search found, or which filter names nothing.
#[derive(Debug, Clone)]
pub enum SearchOutcome {
    Found(SearchResults),
    NoSuchTopic,
    NoSuchLanguage,
}

// CROSS JOIN: the index first, always. SQLite carries the key range over
// to `r.search_key` through the join's equality, and with a range bounded
// on both sides it would rather walk the releases by key and look each up
// in the index: a million lookups for a phrase search.
const SEARCH_SQL: &str = "SELECT {COLUMNS} FROM release_search \
     CROSS JOIN releases r ON r.search_key = release_search.rowid \
     WHERE release_search MATCH ?1 AND release_search.rowid <= ?2 \
     AND release_search.rowid >= ?8 \
     AND r.status = 'published' AND r.published_at <= ?3 \
     AND (CAST(?4 AS TEXT) IS NULL OR r.lang = ?4) \
     AND (CAST(?5 AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM release_topics rt \
          WHERE rt.release_id = r.id AND rt.topic_id = ?5)) \
     ORDER BY release_search.rowid DESC LIMIT ?6 OFFSET ?7";

/// The keys in [?2, ?3] that match ?1, oldest first.
const PHRASE_KEYS_SQL: &str = "SELECT rowid FROM release_search \
     WHERE release_search MATCH ?1 AND rowid >= ?2 AND rowid <= ?3 ORDER BY rowid ASC";

/// The release with key ?1 if it is a result at ?2 for language ?3 and
/// topic ?4 (either NULL for any).
const BY_KEY_SQL: &str = "SELECT {COLUMNS} FROM releases r WHERE r.search_key = ?1 \
     AND r.status = 'published' AND r.published_at <= ?2 \
     AND (CAST(?3 AS TEXT) IS NULL OR r.lang = ?3) \
     AND (CAST(?4 AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM release_topics rt \
          WHERE rt.release_id = r.id AND rt.topic_id = ?4))";

/// The key of the ?3-th newest release (from 0) at or below key ?2 that
/// has word ?1: a walk of one word's index entries, no positions read.
const NTH_KEY_SQL: &str = "SELECT rowid FROM release_search \
     WHERE release_search MATCH ?1 AND rowid <= ?2 ORDER BY rowid DESC LIMIT 1 OFFSET ?3";

const SEARCH_NEXT_SQL: &str = "SELECT r.published_at FROM release_search \
     CROSS JOIN releases r ON r.search_key = release_search.rowid \
     WHERE release_search MATCH ?1 AND release_search.rowid > ?2 \
     AND r.status = 'published' AND r.published_at > ?3 \
     AND (CAST(?4 AS TEXT) IS NULL OR r.lang = ?4) \
     AND (CAST(?5 AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM release_topics rt \
          WHERE rt.release_id = r.id AND rt.topic_id = ?5)) \
     ORDER BY release_search.rowid ASC LIMIT 1";

/// The newest retraction, among releases that match and were visible
/// before it, keyed between ?2 and ?6: those a results page reaching down
/// to ?2 would show had they not been retracted.
const SEARCH_RETRACTED_SQL: &str = "SELECT max(r.retracted_at) FROM release_search \
     CROSS JOIN releases r ON r.search_key = release_search.rowid \
     WHERE release_search MATCH ?1 AND release_search.rowid >= ?2 \
     AND release_search.rowid <= ?6 AND r.status = 'retracted' \
     AND r.published_at <= r.retracted_at AND r.published_at <= ?3 \
     AND (CAST(?4 AS TEXT) IS NULL OR r.lang = ?4) \
     AND (CAST(?5 AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM release_topics rt \
          WHERE rt.release_id = r.id AND rt.topic_id = ?5))";

impl Store {
    /// The releases visible at `now` that match `query` (and `filter`),
    /// newest first: `limit` of them after skipping `offset`. A query with
    /// a phrase reads at most [`PHRASE_BUDGET`] releases that have all its
    /// words.
    pub fn search(
        &self,
        query: &SearchQuery,
        filter: &SearchFilter,
        offset: usize,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<SearchOutcome> {
        let budget = (FIRST_STRETCH, PHRASE_BUDGET);
        self.search_within(query, filter, (offset, limit), now, budget)
    }

    /// [`Store::search`] with the phrase budget given: the first stretch's
    /// releases and the most in all.
    fn search_within(
        &self,
        query: &SearchQuery,
        filter: &SearchFilter,
        (offset, limit): (usize, usize),
        now: DateTime<Utc>,
        (first, budget): (usize, usize),
    ) -> Result<SearchOutcome> {
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        let topic_id = match &filter.topic {
            None => None,
            Some(slug) => match find_topic(&tx, slug)? {
                Some(t) => Some(t.id),
                None => return Ok(SearchOutcome::NoSuchTopic),
            },
        };
        if let Some(lang) = &filter.lang {
            let known: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM releases WHERE lang = ?1)")?
                .query_row([lang], |r| r.get(0))?;
            if !known {
                return Ok(SearchOutcome::NoSuchLanguage);
            }
        }
        let expression = fts_expression(query);
        let now_ms = to_ms(now);
        let newest_key = now_ms
            .saturating_add(1)
            .saturating_mul(KEY_SPREAD)
            .saturating_add(KEY_SPREAD);
        let mut sql = tx.prepare_matching(&SEARCH_SQL.replace("{COLUMNS}", RELEASE_COLUMNS))?;
        let mut run = |high: i64, low: i64, limit: usize, offset: usize| {
            sql.query_map(
                params![
                    expression,
                    high,
                    now_ms,
                    filter.lang,
                    topic_id,
                    i64::try_from(limit).unwrap_or(i64::MAX),
                    i64::try_from(offset).unwrap_or(i64::MAX),
                    low
                ],
                release_from_row,
            )?
            .collect::<db::Result<Vec<_>>>()
        };
        let mut searched_from = None;
        let mut items = if query.terms().iter().all(|t| t.len() == 1) {
            // Every release with all the words matches: the walk stops at
            // the page's end however common they are.
            run(newest_key, i64::MIN, limit.saturating_add(1), offset)?
        } else {
            // A phrase: newest first, a stretch of keys at a time, each
            // holding at most `stretch` releases with every word (4 times
            // more each time), until the page is full, the keys run out,
            // or `budget` such releases have been read.
            let words: Vec<String> = {
                let mut w: Vec<String> = query.terms().iter().flatten().cloned().collect();
                w.sort();
                w.dedup();
                w
            };
            let wanted = offset.saturating_add(limit).saturating_add(1);
            let mut phrase_keys = tx.prepare_matching(PHRASE_KEYS_SQL)?;
            let mut by_key =
                tx.prepare_cached(&BY_KEY_SQL.replace("{COLUMNS}", RELEASE_COLUMNS))?;
            let mut found = Vec::new();
            let mut high = newest_key;
            let mut stretch = first.min(budget).max(1);
            let mut read = 0usize;
            loop {
                let low = stretch_floor(&tx, &words, high, stretch)?;
                // The stretch's matches oldest first: FTS5 stops a phrase
                // at a bound only once it finds a match past it, so read
                // newest first from `high` a phrase that never occurs
                // would be sought through every older release; read
                // upwards, it is sought only through newer ones, which
                // earlier stretches have already bounded.
                let keys = phrase_keys
                    .query_map(params![expression, low.unwrap_or(i64::MIN), high], |r| {
                        r.get::<_, i64>(0)
                    })?
                    .collect::<db::Result<Vec<_>>>()?;
                for key in keys.into_iter().rev() {
                    if found.len() >= wanted {
                        break;
                    }
                    found.extend(
                        by_key
                            .query_row(
                                params![key, now_ms, filter.lang, topic_id],
                                release_from_row,
                            )
                            .optional()?,
                    );
                }
                let Some(low) = low else { break };
                read = read.saturating_add(stretch);
                if found.len() >= wanted {
                    break;
                }
                if read >= budget {
                    // Unless the budget ran out on the oldest of them.
                    if stretch_floor(&tx, &words, low.saturating_sub(1), 1)?.is_some() {
                        searched_from = Some(low);
                    }
                    break;
                }
                high = low.saturating_sub(1);
                stretch = stretch.saturating_mul(4).min(budget - read);
            }
            found.into_iter().skip(offset).collect()
        };
        let more = items.len() > limit;
        items.truncate(limit);
        // A full page reaches down to its last item; otherwise every
        // match is on it or before it, down to where the search stopped.
        let lowest_key = match (more, items.last()) {
            (true, Some(last)) => tx
                .prepare_cached("SELECT search_key FROM releases WHERE id = ?1")?
                .query_row([last.id], |r| r.get::<_, Option<i64>>(0))?
                .unwrap_or(i64::MIN),
            _ => searched_from.unwrap_or(i64::MIN),
        };
        let retracted: Option<i64> = tx.prepare_matching(SEARCH_RETRACTED_SQL)?.query_row(
            params![
                expression,
                lowest_key,
                now_ms,
                filter.lang,
                topic_id,
                newest_key
            ],
            |r| r.get(0),
        )?;
        attach_topics(&tx, &mut items)?;
        let updated_ties = super::feeds::updated_ties(&tx, &items)?;
        let oldest_key = now_ms.saturating_sub(1).saturating_mul(KEY_SPREAD);
        let next: Option<i64> = tx
            .prepare_matching(SEARCH_NEXT_SQL)?
            .query_row(
                params![expression, oldest_key, now_ms, filter.lang, topic_id],
                |r| r.get(0),
            )
            .optional()?;
        let last_modified = items
            .iter()
            .map(|r| {
                let written = to_ms(r.changed_at).div_euclid(1000);
                let shown = super::scopes::ceil_secs(to_ms(r.published_at));
                written.max(shown)
            })
            .chain(retracted.map(|ms| ms.div_euclid(1000)))
            .max()
            .unwrap_or(0);
        Ok(SearchOutcome::Found(SearchResults {
            items,
            more,
            last_modified: from_ms(last_modified.saturating_mul(1000)),
            next_change: next.map(from_ms),
            updated_ties,
            searched_since: searched_from
                .map(|key: i64| from_ms(key.div_euclid(KEY_SPREAD).saturating_add(1))),
        }))
    }

    /// The query plan of a one-word search (for the test that proves it
    /// walks the index newest first rather than sorting).
    pub fn explain_search(&self) -> Result<Vec<String>> {
        self.explain(
            &SEARCH_SQL
                .replace("{COLUMNS}", "r.id")
                .replace("?1", "'\"x\"'")
                .replace("?2", "0")
                .replace("?3", "0")
                .replace("?4", "NULL")
                .replace("?5", "NULL")
                .replace("?6", "50")
                .replace("?7", "0")
                .replace("?8", "0"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::releases::test_store;
    use super::*;
    use crate::domain::{ReleaseInput, Status};
    use chrono::Duration;

    fn input(slug: &str, title: &str, body: &str, at: DateTime<Utc>) -> ReleaseInput {
        ReleaseInput {
            slug: slug.into(),
            title: title.into(),
            body_html: body.into(),
            organization: "O".into(),
            lang: "en".into(),
            published_at: at.to_rfc3339(),
            topics: vec!["t".into()],
            ..Default::default()
        }
    }

    fn slugs(store: &Store, q: &str, now: DateTime<Utc>) -> Vec<String> {
        let q = SearchQuery::parse(q).unwrap();
        match store
            .search(&q, &SearchFilter::default(), 0, 50, now)
            .unwrap()
        {
            SearchOutcome::Found(r) => r.items.into_iter().map(|r| r.slug).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fts5_is_compiled_in_and_the_index_follows_every_write() {
        let (_dir, store, now) = test_store();
        let save = |i: ReleaseInput| {
            store
                .save_release(&i.validate().unwrap(), now, "example.org")
                .unwrap()
        };
        save(input(
            "a",
            "Detainees released",
            "<p>café</p>",
            now - Duration::hours(2),
        ));
        save(input(
            "b",
            "Other",
            "<p>the detainees</p>",
            now - Duration::hours(1),
        ));
        let mut later = input("c", "Detainees later", "<p>x</p>", now + Duration::hours(1));
        later.status = Some("published".into());
        save(later);
        let mut draft = input("d", "Detainees draft", "<p>x</p>", now);
        draft.status = Some("draft".into());
        save(draft);
        // Newest first; the embargoed and the draft are not found.
        assert_eq!(slugs(&store, "detainees", now), ["b", "a"]);
        assert_eq!(slugs(&store, "CAFE", now), ["a"]);
        // An edit moves the release in and out of the results.
        save(input(
            "b",
            "Other",
            "<p>nothing</p>",
            now - Duration::hours(1),
        ));
        assert_eq!(slugs(&store, "detainees", now), ["a"]);
        // Retracting removes it; restoring brings it back.
        let a = store.release_id_by_slug("a").unwrap().unwrap();
        store
            .set_release_status(a, Status::Retracted, None, now)
            .unwrap();
        assert!(slugs(&store, "detainees", now).is_empty());
        store
            .set_release_status(a, Status::Published, None, now)
            .unwrap();
        assert_eq!(slugs(&store, "detainees", now), ["a"]);
        // The scheduled one appears at its time, by itself.
        assert_eq!(
            slugs(&store, "detainees", now + Duration::hours(2)),
            ["c", "a"]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Whatever a reader types, the query that reaches FTS5 runs: no
        /// syntax error, whatever quotes, operators or symbols it held.
        #[test]
        fn every_accepted_query_runs(raw in "(\\PC|[\"*()\\-:^{}+]|NEAR|AND|OR|NOT| ){0,60}") {
            static STORE: std::sync::OnceLock<(tempfile::TempDir, Store, DateTime<Utc>)> =
                std::sync::OnceLock::new();
            let (_, store, now) = STORE.get_or_init(|| {
                let (dir, store, now) = test_store();
                let text = "<p>near and or not water \"power\" (x) * - ^ {y}</p>";
                store
                    .save_release(&input("a", "NEAR AND", text, now).validate().unwrap(), now, "e.org")
                    .unwrap();
                (dir, store, now)
            });
            let now = *now;
            if let Ok(q) = SearchQuery::parse(&raw) {
                let found = store.search(&q, &SearchFilter::default(), 0, 50, now);
                proptest::prop_assert!(found.is_ok(), "{:?}: {:?}", fts_expression(&q), found);
            }
        }
    }

    /// A retraction that takes the newest result away makes the results'
    /// Last-Modified later, not earlier: read from the database, so it
    /// holds for a server that never saw the earlier version.
    #[test]
    fn a_retracted_result_moves_last_modified_forward() {
        let (_dir, store, now) = test_store();
        let save = |i: ReleaseInput, at| {
            store
                .save_release(&i.validate().unwrap(), at, "e.org")
                .unwrap();
        };
        let early = now - Duration::hours(3);
        save(
            input("a", "Water a", "<p>x</p>", early - Duration::hours(1)),
            early,
        );
        save(
            input("b", "Water b", "<p>x</p>", now - Duration::hours(1)),
            now,
        );
        let q = SearchQuery::parse("water").unwrap();
        let results = |at| match store
            .search(&q, &SearchFilter::default(), 0, 1, at)
            .unwrap()
        {
            SearchOutcome::Found(r) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(results(now).last_modified, now);
        let later = now + Duration::minutes(5);
        let b = store.release_id_by_slug("b").unwrap().unwrap();
        store
            .set_release_status(b, Status::Retracted, None, later)
            .unwrap();
        let after = results(later);
        assert_eq!(after.items[0].slug, "a");
        assert_eq!(after.last_modified, later);
        // Retracted before it was ever visible: nobody saw it leave.
        let next_week = later + Duration::days(7);
        let mut c = input("c", "Water c", "<p>x</p>", next_week);
        c.status = Some("published".into());
        save(c, later + Duration::minutes(1));
        let c = store.release_id_by_slug("c").unwrap().unwrap();
        let then = later + Duration::minutes(2);
        store
            .set_release_status(c, Status::Retracted, None, then)
            .unwrap();
        assert_eq!(results(then).last_modified, later);
    }

    /// `pressfeed migrate` on a database from before search indexes the
    /// releases already there.
    #[test]
    fn the_migration_indexes_existing_releases() {
        let (dir, store, now) = test_store();
        store
            .save_release(
                &input("old", "Café détenus", "<p>x</p>", now)
                    .validate()
                    .unwrap(),
                now,
                "example.org",
            )
            .unwrap();
        drop(store);
        let path = dir.path().join("s.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        // Undo the search migration (17) and the ones after it (18, feed
        // parts; 19, accreditations; 20, media; 21, furniture; 22, organisation
        // boilerplate; 23, renditions), so `migrate` runs the
        // search migration on existing data.
        let previous = 16;
        assert_eq!(Store::schema_version(), 23, "undo the newer migrations too");
        conn.execute_batch(&format!(
            "DROP TABLE media_renditions; DROP TABLE organization_about; DROP TABLE release_contacts; ALTER TABLE releases DROP COLUMN notes_to_editors; \
             DROP TABLE release_attachments; DROP TABLE media; \
             DROP TABLE accreditation_sightings; DROP TABLE accreditation_fetches; \
             DROP TABLE accreditations; DROP TABLE feed_parts; DROP INDEX releases_lang_feed; \
             DROP TABLE release_search; DROP INDEX releases_search_key; \
             ALTER TABLE releases DROP COLUMN search_key; PRAGMA user_version = {previous};"
        ))
        .unwrap();
        drop(conn);
        let (before, _) = Store::migrate(&path).unwrap();
        assert_eq!(before, previous);
        let store = Store::open_existing(&path, 1).unwrap();
        assert_eq!(slugs(&store, "cafe detenus", now), ["old"]);
    }

    /// A phrase whose words are in more releases than the budget: the
    /// newest matches within it, newest first, and the instant it searched
    /// back to; exact when a word of the query is rarer than the budget
    /// or the budget covers everything, in stretches of any size.
    #[test]
    fn a_phrase_search_stops_at_its_budget_and_says_so() {
        let (_dir, store, now) = test_store();
        let at = |i: i64| now - Duration::hours(30 - i);
        // r0 … r19, r19 the newest; all have both words, two as the phrase.
        let drafts: Vec<_> = (0..20)
            .map(|i| {
                let body = match i {
                    2 | 17 => "<p>alpha beta</p>",
                    3 => "<p>beta alpha zeta</p>",
                    _ => "<p>beta and alpha</p>",
                };
                input(&format!("r{i}"), "T", body, at(i))
                    .validate()
                    .unwrap()
            })
            .collect();
        store
            .save_releases(&drafts, now, "e.org", &mut |_| {})
            .unwrap();
        let found = |q: &str, page: (usize, usize), budget: (usize, usize)| {
            let q = SearchQuery::parse(q).unwrap();
            match store
                .search_within(&q, &SearchFilter::default(), page, now, budget)
                .unwrap()
            {
                SearchOutcome::Found(r) => r,
                other => panic!("{other:?}"),
            }
        };
        let slugs = |r: &SearchResults| r.items.iter().map(|r| r.slug.clone()).collect::<Vec<_>>();
        for budget in [(2000, 2000), (1, 1000), (2, 40), (3, 20)] {
            let all = found("\"alpha beta\"", (0, 50), budget);
            assert_eq!(slugs(&all), ["r17", "r2"], "{budget:?}");
            assert_eq!(all.searched_since, None, "{budget:?}");
            let second = found("\"alpha beta\"", (1, 1), budget);
            assert_eq!(slugs(&second), ["r2"], "{budget:?}");
            assert!(!second.more);
            let first = found("\"alpha beta\"", (0, 1), budget);
            assert_eq!((slugs(&first), first.more), (vec!["r17".into()], true));
        }
        // Five releases with both words read (r19 … r15, in stretches of 1
        // and 4): r17, and everything since r15 was searched.
        for budget in [(5, 5), (1, 5)] {
            let partial = found("\"alpha beta\"", (0, 50), budget);
            assert_eq!(slugs(&partial), ["r17"]);
            let since = partial.searched_since.expect("stopped at the budget");
            assert!(since > at(15) && since <= at(16), "{since}");
            assert!(!partial.more);
        }
        // A word of the query in fewer releases than the budget: exact.
        let rare = found("\"beta alpha\" zeta", (0, 50), (1, 1));
        assert_eq!(
            (slugs(&rare), rare.searched_since),
            (vec!["r3".into()], None)
        );
        // Words without a phrase: every release with them matches.
        assert_eq!(found("alpha beta", (0, 50), (1, 1)).items.len(), 20);
    }

    #[test]
    fn a_common_word_is_walked_newest_first_not_sorted() {
        let (_dir, store, _now) = test_store();
        let plan = store.explain_search().unwrap().join("\n");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        assert!(plan.contains("VIRTUAL TABLE INDEX"), "{plan}");
        // The index is the outer loop, the releases looked up by key: not
        // every release in the key range looked up in the index.
        let index = plan.find("VIRTUAL TABLE INDEX").unwrap();
        let releases = plan.find("releases_search_key").expect("releases by key");
        assert!(index < releases, "{plan}");
    }
}
