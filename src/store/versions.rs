//! Scope versions: which documents a commit made stale, readable without
//! rendering any.
//!
//! Every transaction that changes what a reader can see moves one counter
//! (`scope_seq`) once and writes its new value into each scope it changed:
//! the global feeds (`feed_version`), the topic list behind the OPML
//! (`topics_version`) and each changed topic (`topics.version`). A cached
//! document rendered while its scope had version V is exactly what a
//! render would give as long as the scope still has V and no scheduled
//! change has come (the cache keeps that instant). A draft or a release
//! scheduled for later moves no stamp (`scopes.rs`) and so no version.
//!
//! The parts of a scope (a month, a language: `parts.rs`) have versions
//! in `feed_parts`, moved the same way by the writes that change them.
//!
//! A server reads only what moved since it last looked: the topics whose
//! version is above the counter it saw (an index), or every topic when the
//! topic list changed (a topic created or deleted).

use super::{Result, Store};
use crate::store::db::{self, Conn, OptionalExtension, params};

const READ_SQL: &str = "SELECT \
     (SELECT value FROM site_state WHERE key = 'scope_seq'), \
     (SELECT value FROM site_state WHERE key = 'feed_version'), \
     (SELECT value FROM site_state WHERE key = 'topics_version')";
const TOPICS_SINCE_SQL: &str = "SELECT slug, version FROM topics WHERE version > ?1";
/// Parts (by scope: a topic slug, or '' for the global scope) that moved
/// after ?1; parts of a deleted topic are left out.
const PARTS_SINCE_SQL: &str = "SELECT coalesce(t.slug, ''), p.part, p.version \
     FROM feed_parts p LEFT JOIN topics t ON t.id = p.topic_id \
     WHERE p.version > ?1 AND (p.topic_id = 0 OR t.id IS NOT NULL)";

/// The counter's next value (moves it).
pub(super) fn next_version(conn: &Conn) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "UPDATE site_state SET value = value + 1 WHERE key = 'scope_seq' RETURNING value",
        )?
        .query_row([], |r| r.get(0))?)
}

/// Gives `version` to each changed scope.
pub(super) fn mark<'a>(
    conn: &Conn,
    version: i64,
    global: bool,
    topic_list: bool,
    topics: impl Iterator<Item = &'a i64>,
) -> Result<()> {
    let mut set = conn.prepare_cached("UPDATE site_state SET value = ?2 WHERE key = ?1")?;
    if global {
        set.execute(params!["feed_version", version])?;
    }
    if topic_list {
        set.execute(params!["topics_version", version])?;
    }
    let mut topic = conn.prepare_cached("UPDATE topics SET version = ?2 WHERE id = ?1")?;
    for id in topics {
        topic.execute(params![id, version])?;
    }
    Ok(())
}

/// The versions of every scope at one moment, or what moved since an
/// earlier reading ([`Store::scope_versions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeVersions {
    /// The counter: the newest version any scope has.
    pub seq: i64,
    pub global: i64,
    pub topic_list: i64,
    /// Topic slugs and their versions: every topic when `complete`, else
    /// only those changed since the earlier reading.
    pub topics: Vec<(String, i64)>,
    /// Parts (scope slug or '' for the global scope, part key, version)
    /// that moved, on the same terms as `topics`; a part never written
    /// has version 0.
    pub parts: Vec<(String, String, i64)>,
    pub complete: bool,
}

impl Store {
    /// Scope versions now, reading only what moved since `since` (an
    /// earlier result's `seq` and `topic_list`); everything when `None`.
    pub fn scope_versions(&self, since: Option<(i64, i64)>) -> Result<ScopeVersions> {
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        let (seq, global, topic_list): (Option<i64>, Option<i64>, Option<i64>) = tx
            .prepare_cached(READ_SQL)?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?
            .unwrap_or_default();
        let (seq, global, topic_list) = (
            seq.unwrap_or_default(),
            global.unwrap_or_default(),
            topic_list.unwrap_or_default(),
        );
        let incremental_from = since
            .filter(|&(_, list)| list == topic_list)
            .map(|(seen, _)| seen);
        let (topics, parts) = if incremental_from == Some(seq) {
            (Vec::new(), Vec::new())
        } else {
            let topics = tx
                .prepare_cached(TOPICS_SINCE_SQL)?
                .query_map([incremental_from.unwrap_or(i64::MIN)], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<db::Result<Vec<_>>>()?;
            let parts = tx
                .prepare_cached(PARTS_SINCE_SQL)?
                .query_map([incremental_from.unwrap_or(0).max(0)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<db::Result<Vec<_>>>()?;
            (topics, parts)
        };
        Ok(ScopeVersions {
            seq,
            global,
            topic_list,
            topics,
            parts,
            complete: incremental_from.is_none(),
        })
    }

    /// `EXPLAIN QUERY PLAN` of the incremental topic read (tests prove it
    /// uses the index, not a scan of every topic).
    pub fn explain_scope_versions(&self) -> Result<Vec<String>> {
        let mut plan = self.explain(&TOPICS_SINCE_SQL.replace("?1", "0"))?;
        plan.extend(self.explain(&PARTS_SINCE_SQL.replace("?1", "0"))?);
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::ReleaseInput;
    use crate::store::Store;
    use chrono::{DateTime, Duration, TimeZone, Utc};

    fn save(
        store: &Store,
        slug: &str,
        title: &str,
        topic: &str,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        status: Option<&str>,
    ) {
        let input = ReleaseInput {
            slug: slug.into(),
            title: title.into(),
            body_html: "<p>Body</p>".into(),
            organization: "Office".into(),
            lang: "en".into(),
            published_at: at.to_rfc3339(),
            topics: vec![topic.into()],
            status: status.map(Into::into),
            ..Default::default()
        };
        let draft = input.validate().expect("valid release");
        store.save_release(&draft, now, "press.test,2026").unwrap();
    }

    fn version(v: &super::ScopeVersions, topic: &str) -> Option<i64> {
        v.topics.iter().find(|(s, _)| s == topic).map(|(_, n)| *n)
    }

    #[test]
    fn a_write_moves_only_the_scopes_it_changes_and_a_draft_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("v.db"), 2).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let hour_ago = now - Duration::hours(1);
        save(&store, "a", "A", "alpha", hour_ago, now, None);
        save(&store, "b", "B", "beta", hour_ago, now, None);
        let all = store.scope_versions(None).unwrap();
        assert!(all.complete);
        let beta = version(&all, "beta").unwrap();

        // An edit of a release in alpha, in the same second: global and
        // alpha move, beta and the topic list do not.
        save(&store, "a", "A edited", "alpha", hour_ago, now, None);
        let since = store
            .scope_versions(Some((all.seq, all.topic_list)))
            .unwrap();
        assert!(!since.complete);
        assert!(since.seq > all.seq);
        assert!(since.global > all.global);
        assert_eq!(since.topic_list, all.topic_list);
        assert_eq!(since.topics, vec![("alpha".to_string(), since.seq)]);
        assert_eq!(
            version(&store.scope_versions(None).unwrap(), "beta"),
            Some(beta)
        );

        // A draft changes no feed, now or later: nothing moves.
        save(&store, "d", "Draft", "beta", hour_ago, now, Some("draft"));
        let after = store
            .scope_versions(Some((since.seq, since.topic_list)))
            .unwrap();
        assert_eq!(after.seq, since.seq);
        assert!(after.topics.is_empty());

        // A release scheduled for later shows nowhere yet, but moves the
        // next change of beta and the global feeds: their versions move.
        save(
            &store,
            "later",
            "Later",
            "beta",
            now + Duration::days(1),
            now,
            None,
        );
        let later = store
            .scope_versions(Some((after.seq, after.topic_list)))
            .unwrap();
        assert_eq!(later.topics, vec![("beta".to_string(), later.seq)]);
        assert_eq!(later.global, later.seq);
    }

    #[test]
    fn the_incremental_read_uses_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("v.db"), 1).unwrap();
        let plan = store.explain_scope_versions().unwrap().join("\n");
        assert!(plan.contains("topics_version"), "{plan}");
    }
}
