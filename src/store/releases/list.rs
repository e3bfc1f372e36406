//! Reading many releases: the admin list and the API's list (filtered by
//! lifecycle state, topic, language, title), languages, and export.

use super::super::{Result, Store, StoreError, to_ms};
use super::{RELEASE_COLUMNS, attach_topics, release_from_row, release_with_source};
use crate::domain::{ReleaseInput, State};
use crate::model::Release;
use crate::store::db::{self, params};
use chrono::{DateTime, Utc};

/// Which releases the admin list shows. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseFilter {
    pub status: Option<State>,
    pub topic: Option<String>,
    pub lang: Option<String>,
    /// Case-insensitive substring of the title.
    pub title: Option<String>,
}

fn like_pattern(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The SQL for `Lifecycle::state(now) == state` over `releases r`, and
/// whether it takes the time (in ms) as its one parameter. The filters of
/// the admin list and the API; a test checks them against the rule.
fn state_clause(state: State) -> (&'static str, bool) {
    match state {
        State::Draft => ("r.status = 'draft'", false),
        State::Retracted => ("r.status = 'retracted'", false),
        State::Scheduled => ("r.status = 'published' AND r.published_at > ?", true),
        State::Public => ("r.status = 'published' AND r.published_at <= ?", true),
    }
}

impl Store {
    /// One page of the admin list, newest first, and how many match in all.
    pub fn list_releases(
        &self,
        filter: &ReleaseFilter,
        now: DateTime<Utc>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Release>, i64)> {
        let mut clauses: Vec<&str> = Vec::new();
        let mut args: Vec<db::Value<'static>> = Vec::new();
        let now_ms = to_ms(now);
        if let Some(state) = filter.status {
            let (clause, needs_now) = state_clause(state);
            clauses.push(clause);
            if needs_now {
                args.push(now_ms.into());
            }
        }
        if let Some(topic) = filter.topic.as_deref().filter(|t| !t.is_empty()) {
            clauses.push(
                "r.id IN (SELECT rt.release_id FROM release_topics rt \
                 JOIN topics t ON t.id = rt.topic_id WHERE t.slug = ?)",
            );
            args.push(topic.to_owned().into());
        }
        if let Some(lang) = filter.lang.as_deref().filter(|l| !l.is_empty()) {
            clauses.push("r.lang = ?");
            args.push(lang.to_owned().into());
        }
        if let Some(q) = filter
            .title
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            clauses.push("r.title LIKE ? ESCAPE '\\'");
            args.push(like_pattern(q).into());
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        let total: i64 = tx.query_row(
            &format!("SELECT count(*) FROM releases r{where_sql}"),
            db::params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        let mut page_args = args.clone();
        // Saturating: `as` would wrap a huge offset to -1, which SQLite
        // reads as no offset at all.
        page_args.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        page_args.push(i64::try_from(offset).unwrap_or(i64::MAX).into());
        let mut items = tx
            .prepare(&format!(
                "SELECT {RELEASE_COLUMNS} FROM releases r{where_sql} \
                 ORDER BY r.published_at DESC, r.id DESC LIMIT ? OFFSET ?"
            ))?
            .query_map(db::params_from_iter(page_args.iter()), release_from_row)?
            .collect::<db::Result<Vec<_>>>()?;
        attach_topics(&tx, &mut items)?;
        for r in &mut items {
            r.translation_of = super::translations::original_slug(&tx, r.id)?;
        }
        Ok((items, total))
    }

    /// Languages used by at least one release, for the list filter.
    pub fn release_languages(&self) -> Result<Vec<String>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached("SELECT DISTINCT lang FROM releases ORDER BY lang")?;
        let langs = stmt
            .query_map([], |r| r.get(0))?
            .collect::<db::Result<_>>()?;
        Ok(langs)
    }

    /// Every release in the import format, oldest first, one at a time.
    pub fn export(
        &self,
        out: &mut dyn FnMut(ReleaseInput) -> std::io::Result<()>,
    ) -> Result<usize> {
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        // Pages of releases in one snapshot: each page is read whole before
        // its topics are (PostgreSQL cannot interleave two queries on one
        // connection), and a page, not the whole table, is in memory.
        let sql = format!(
            "SELECT {RELEASE_COLUMNS}, r.body_source FROM releases r \
             WHERE (r.published_at, r.id) > (?1, ?2) ORDER BY r.published_at, r.id LIMIT ?3"
        );
        let mut stmt = tx.prepare_cached(&sql)?;
        let mut n = 0;
        let mut after = (i64::MIN, i64::MIN);
        loop {
            let page = stmt
                .query_map(params![after.0, after.1, EXPORT_PAGE], release_with_source)?
                .collect::<db::Result<Vec<_>>>()?;
            let Some(last) = page.last() else { break };
            after = (to_ms(last.published_at), last.id);
            for r in page {
                n += export_one(&tx, r, out)?;
            }
        }
        Ok(n)
    }
}

/// Releases read at a time by [`Store::export`].
const EXPORT_PAGE: i64 = 500;

fn export_one(
    tx: &db::Conn,
    mut r: Release,
    out: &mut dyn FnMut(ReleaseInput) -> std::io::Result<()>,
) -> Result<usize> {
    attach_topics(tx, std::slice::from_mut(&mut r))?;
    r.translation_of = super::translations::original_slug(tx, r.id)?;
    out(r.into_input()).map_err(|source| StoreError::Io {
        path: "<export output>".into(),
        source,
    })?;
    Ok(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ReleaseFilter;

    /// The store's SQL follows the lifecycle rule: for every state, the list
    /// filter finds exactly the releases whose `state(now)` is that state,
    /// and the feeds show exactly the public ones.
    #[test]
    fn the_store_lists_feeds_and_locks_by_the_lifecycle_rule() {
        let (_dir, store, now) = super::super::test_store();
        let day = chrono::Duration::days(1);
        let cases = [
            ("draft-past", "draft", now - day),
            ("draft-planned", "draft", now + day),
            ("scheduled", "published", now + day),
            ("public-now", "published", now),
            ("public-past", "published", now - day),
            ("retracted", "retracted", now - day),
        ];
        for (slug, status, at) in cases {
            let draft = super::super::test_draft(slug, status, at);
            store
                .save_release(&draft, now - day * 2, "example.org")
                .unwrap();
        }
        let (all, _) = store
            .list_releases(&ReleaseFilter::default(), now, 100, 0)
            .unwrap();
        assert_eq!(all.len(), cases.len());
        for state in State::ALL {
            let filter = ReleaseFilter {
                status: Some(state),
                ..Default::default()
            };
            let (listed, total) = store.list_releases(&filter, now, 100, 0).unwrap();
            let mut listed: Vec<_> = listed.into_iter().map(|r| r.slug).collect();
            let mut expected: Vec<_> = all
                .iter()
                .filter(|r| r.state(now) == state)
                .map(|r| r.slug.clone())
                .collect();
            listed.sort();
            expected.sort();
            assert!(!expected.is_empty(), "{state:?}");
            assert_eq!(listed, expected, "{state:?}");
            assert_eq!(total as usize, expected.len());
        }
        // The feeds' own queries (global and per topic) and the address
        // lock agree with the rule too.
        let public: Vec<_> = all
            .iter()
            .filter(|r| r.state(now) == State::Public)
            .map(|r| r.slug.clone())
            .collect();
        let topic = crate::model::FeedScope::Topic(crate::domain::Slug::parse("t").unwrap());
        for scope in [crate::model::FeedScope::All, topic] {
            let snapshot = store.feed_snapshot(&scope, 100, now).unwrap().unwrap();
            let mut in_feed: Vec<_> = snapshot.items.into_iter().map(|r| r.slug).collect();
            in_feed.sort();
            let mut want = public.clone();
            want.sort();
            assert_eq!(in_feed, want, "{scope:?}");
        }
        for r in &all {
            let seen = matches!(r.state(now), State::Public | State::Retracted);
            assert_eq!(
                store.release_slug_locked(r.id, now).unwrap(),
                seen,
                "{}",
                r.slug
            );
        }
    }
}
