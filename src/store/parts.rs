//! Reads about the parts of a scope (one month, one language; see
//! `model::Part`): whether readers see anything in one, its neighbours,
//! and its change stamp. Shared by writers (`scopes.rs`) and the part
//! feeds (`part_feeds.rs`), so both judge a part by the same rows.
//!
//! A scope is a topic id, or [`GLOBAL`].

use crate::domain::Month;
use crate::model::Part;
use crate::store::db::{self, Conn, OptionalExtension, params};

/// The `topic_id` of the global scope's parts (topic ids start at 1).
pub(super) const GLOBAL: i64 = 0;

const MONTH_EXISTS_GLOBAL: &str = "SELECT EXISTS (SELECT 1 FROM releases WHERE status = 'published' \
     AND published_at >= ?1 AND published_at < ?2 AND published_at <= ?3)";
const MONTH_EXISTS_TOPIC: &str = "SELECT EXISTS (SELECT 1 FROM release_topics WHERE topic_id = ?4 \
     AND feed_at >= ?1 AND feed_at < ?2 AND feed_at <= ?3)";
const LANG_EXISTS_GLOBAL: &str = "SELECT EXISTS (SELECT 1 FROM releases WHERE status = 'published' \
     AND lang = ?1 AND published_at <= ?2)";
const LANG_EXISTS_TOPIC: &str = "SELECT EXISTS (SELECT 1 FROM release_topics rt \
     JOIN releases r ON r.id = rt.release_id WHERE rt.topic_id = ?3 AND rt.feed_at <= ?2 \
     AND r.lang = ?1)";
/// The newest visible release before ?1 (when it was published and written).
const BEFORE_GLOBAL: &str = "SELECT published_at, changed_at FROM releases \
     WHERE status = 'published' AND published_at < ?1 ORDER BY published_at DESC LIMIT 1";
const BEFORE_TOPIC: &str = "SELECT r.published_at, r.changed_at FROM release_topics rt \
     JOIN releases r ON r.id = rt.release_id WHERE rt.topic_id = ?2 AND rt.feed_at < ?1 \
     ORDER BY rt.feed_at DESC LIMIT 1";
/// The oldest release visible at ?2 from ?1 on.
const FROM_GLOBAL: &str = "SELECT published_at, changed_at FROM releases \
     WHERE status = 'published' AND published_at >= ?1 AND published_at <= ?2 \
     ORDER BY published_at LIMIT 1";
const FROM_TOPIC: &str = "SELECT r.published_at, r.changed_at FROM release_topics rt \
     JOIN releases r ON r.id = rt.release_id WHERE rt.topic_id = ?3 AND rt.feed_at >= ?1 \
     AND rt.feed_at <= ?2 ORDER BY rt.feed_at LIMIT 1";
const STAMP_SQL: &str = "SELECT changed_at FROM feed_parts WHERE topic_id = ?1 AND part = ?2";

/// Whether readers see any release in `part` of `scope` at `now_ms`.
pub(super) fn part_is_shown(conn: &Conn, scope: i64, part: &Part, now_ms: i64) -> db::Result<bool> {
    match (part, scope) {
        (Part::Month(m), GLOBAL) => conn
            .prepare_cached(MONTH_EXISTS_GLOBAL)?
            .query_row(params![m.start_ms(), m.end_ms(), now_ms], |r| r.get(0)),
        (Part::Month(m), topic) => conn
            .prepare_cached(MONTH_EXISTS_TOPIC)?
            .query_row(params![m.start_ms(), m.end_ms(), now_ms, topic], |r| {
                r.get(0)
            }),
        (Part::Lang(l), GLOBAL) => conn
            .prepare_cached(LANG_EXISTS_GLOBAL)?
            .query_row(params![l.as_str(), now_ms], |r| r.get(0)),
        (Part::Lang(l), topic) => conn
            .prepare_cached(LANG_EXISTS_TOPIC)?
            .query_row(params![l.as_str(), now_ms, topic], |r| r.get(0)),
    }
}

/// The newest release of `scope` visible before `before_ms` (published, written).
pub(super) fn newest_before(
    conn: &Conn,
    scope: i64,
    before_ms: i64,
) -> db::Result<Option<(i64, i64)>> {
    let row = |r: &db::Row<'_>| Ok((r.get(0)?, r.get(1)?));
    if scope == GLOBAL {
        conn.prepare_cached(BEFORE_GLOBAL)?
            .query_row([before_ms], row)
            .optional()
    } else {
        conn.prepare_cached(BEFORE_TOPIC)?
            .query_row([before_ms, scope], row)
            .optional()
    }
}

/// The oldest release of `scope` published from `from_ms` on and visible
/// at `now_ms` (published, written).
pub(super) fn oldest_from(
    conn: &Conn,
    scope: i64,
    from_ms: i64,
    now_ms: i64,
) -> db::Result<Option<(i64, i64)>> {
    let row = |r: &db::Row<'_>| Ok((r.get(0)?, r.get(1)?));
    if scope == GLOBAL {
        conn.prepare_cached(FROM_GLOBAL)?
            .query_row([from_ms, now_ms], row)
            .optional()
    } else {
        conn.prepare_cached(FROM_TOPIC)?
            .query_row([from_ms, now_ms, scope], row)
            .optional()
    }
}

/// The nearest months before and after `month` with releases readers see.
pub(super) fn neighbours(
    conn: &Conn,
    scope: i64,
    month: Month,
    now_ms: i64,
) -> db::Result<(Option<Month>, Option<Month>)> {
    let prev = newest_before(conn, scope, month.start_ms())?.and_then(|(p, _)| Month::of_ms(p));
    let next = oldest_from(conn, scope, month.end_ms(), now_ms)?.and_then(|(p, _)| Month::of_ms(p));
    Ok((prev, next))
}

/// The part's change stamp (ms); 0 when no write has changed it yet.
pub(super) fn part_stamp(conn: &Conn, scope: i64, part: &Part) -> db::Result<i64> {
    Ok(conn
        .prepare_cached(STAMP_SQL)?
        .query_row(params![scope, part.key()], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The newest change stamp of any part of `scope` (ms), 0 when none.
pub(super) fn newest_part_stamp(conn: &Conn, scope: i64) -> db::Result<i64> {
    conn.prepare_cached("SELECT coalesce(max(changed_at), 0) FROM feed_parts WHERE topic_id = ?1")?
        .query_row([scope], |r| r.get(0))
}

/// `EXPLAIN QUERY PLAN` inputs: every query above with literal values.
pub(super) fn queries_to_explain() -> Vec<String> {
    let lit = |sql: &str, values: &[&str]| {
        let mut s = sql.to_owned();
        for (i, v) in values.iter().enumerate().rev() {
            s = s.replace(&format!("?{}", i + 1), v);
        }
        s
    };
    vec![
        lit(MONTH_EXISTS_GLOBAL, &["0", "1", "2"]),
        lit(MONTH_EXISTS_TOPIC, &["0", "1", "2", "3"]),
        lit(LANG_EXISTS_GLOBAL, &["'en'", "2"]),
        lit(BEFORE_GLOBAL, &["0"]),
        lit(BEFORE_TOPIC, &["0", "1"]),
        lit(FROM_GLOBAL, &["0", "1"]),
        lit(FROM_TOPIC, &["0", "1", "2"]),
        lit(STAMP_SQL, &["0", "'month:2024-01'"]),
    ]
}
