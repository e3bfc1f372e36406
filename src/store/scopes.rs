//! Which documents a write changes, and the stamps behind their
//! `Last-Modified`.
//!
//! A scope (the global feeds, one topic's feeds, the topic list behind the
//! OPML) has a stamp that only writes a reader can see move: a draft or a
//! release scheduled for later changes no feed, so it leaves every stamp,
//! and so every validator, alone. A scope's Last-Modified is its stamp's
//! second, or the second after its newest release became visible by itself
//! (a scheduled one), whichever is later.
//!
//! HTTP dates have whole seconds, so two versions in one second would share
//! a Last-Modified and a client holding the first would get 304 for the
//! second. A write therefore moves each scope it changes, once per
//! transaction, to a second later than any the scope may have been sent
//! with: the current second when the previous one is older, else the next.
//! A second after the clock is not sent (it would be later than `Date`), so
//! nobody can hold it yet and a further write in the same second may share
//! it: the stamp never runs more than a second ahead of the writer's clock.

use super::Result;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{HashMap, HashSet};

/// The global feeds' stamp (read by writers and by the feed snapshot).
pub(super) const GLOBAL_STAMP_SQL: &str =
    "SELECT value FROM site_state WHERE key = 'feed_changed_at'";
/// The newest visible release everywhere: when it was published and last written.
pub(super) const GLOBAL_NEWEST_SQL: &str = "SELECT published_at, changed_at FROM releases \
     WHERE status = 'published' AND published_at <= ?1 ORDER BY published_at DESC LIMIT 1";
/// The same within one topic.
pub(super) const TOPIC_NEWEST_SQL: &str = "SELECT r.published_at, r.changed_at \
     FROM release_topics rt JOIN releases r ON r.id = rt.release_id \
     WHERE rt.topic_id = ?2 AND rt.feed_at <= ?1 ORDER BY rt.feed_at DESC LIMIT 1";

/// The Last-Modified second of a scope whose stamp is `stamp_ms` and whose
/// newest visible release was published at `.0` and last written at `.1`
/// (milliseconds). A release published after its last write became visible
/// by itself, with no write moving the stamp: its instant counts, rounded
/// up, so that it is later than anything sent before that instant.
pub(crate) fn last_modified_secs(stamp_ms: i64, newest: Option<(i64, i64)>) -> i64 {
    let by_itself = newest
        .filter(|(published, written)| published > written)
        .map_or(i64::MIN, |(published, _)| ceil_secs(published));
    stamp_ms.div_euclid(1000).max(by_itself)
}

pub(super) fn ceil_secs(ms: i64) -> i64 {
    ms.div_euclid(1000) + i64::from(ms.rem_euclid(1000) != 0)
}

/// The stamp a scope gets from a write at `now_ms` that changes it, given
/// the Last-Modified second it had before (see the module comment).
pub(crate) fn next_stamp(previous_secs: i64, now_ms: i64) -> i64 {
    let now_secs = now_ms.div_euclid(1000);
    if previous_secs < now_secs {
        now_ms
    } else {
        previous_secs.max(now_secs + 1) * 1000
    }
}

/// The scopes one transaction changes, each with the Last-Modified second
/// it had before the transaction touched it. [`ChangedScopes::apply`] moves
/// each of them once, just before the commit.
#[derive(Default)]
pub(super) struct ChangedScopes {
    global: Option<i64>,
    topics: HashMap<i64, i64>,
    topic_list: Option<i64>,
    /// Topics created in this transaction: no earlier version to be later than.
    created: HashSet<i64>,
    /// Scopes whose future changes (see [`ChangedScopes::schedule`]).
    scheduled_global: bool,
    scheduled_topics: HashSet<i64>,
}

impl ChangedScopes {
    /// The global feeds change (call before the write changes what they show).
    pub fn global(&mut self, conn: &Connection, now_ms: i64) -> Result<()> {
        if self.global.is_none() {
            let stamp: i64 = conn
                .prepare_cached(GLOBAL_STAMP_SQL)?
                .query_row([], |r| r.get(0))?;
            let newest = conn
                .prepare_cached(GLOBAL_NEWEST_SQL)?
                .query_row([now_ms], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            self.global = Some(last_modified_secs(stamp, newest));
        }
        Ok(())
    }

    /// One topic's feeds change (call before the write changes what they show).
    pub fn topic(&mut self, conn: &Connection, topic_id: i64, now_ms: i64) -> Result<()> {
        if self.topics.contains_key(&topic_id) || self.created.contains(&topic_id) {
            return Ok(());
        }
        let stamp: i64 = conn
            .prepare_cached("SELECT changed_at FROM topics WHERE id = ?1")?
            .query_row([topic_id], |r| r.get(0))?;
        let newest = conn
            .prepare_cached(TOPIC_NEWEST_SQL)?
            .query_row(params![now_ms, topic_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        self.topics
            .insert(topic_id, last_modified_secs(stamp, newest));
        Ok(())
    }

    /// A topic was created (its stamp is its creation time); the topic
    /// list changes with it when it is `listed` (`topics.rs`).
    pub fn created_topic(
        &mut self,
        conn: &Connection,
        topic_id: i64,
        listed: bool,
        now_ms: i64,
    ) -> Result<()> {
        self.created.insert(topic_id);
        if listed {
            self.topic_list(conn, now_ms)?;
        }
        Ok(())
    }

    /// The topic list (names, slugs, descriptions: the OPML) changes.
    pub fn topic_list(&mut self, conn: &Connection, now_ms: i64) -> Result<()> {
        if self.topic_list.is_none() {
            self.topic_list = Some(super::topics::topic_list_last_modified_secs(conn, now_ms)?);
        }
        Ok(())
    }

    /// A release scheduled for later in the global feeds and these topics
    /// is created, moved or withdrawn. Readers see nothing of it yet, so no
    /// stamp (and no validator) moves; but the instant these feeds next
    /// change by themselves does, so their cached copies must go: their
    /// versions move (`versions.rs`).
    pub fn schedule(&mut self, topic_ids: impl IntoIterator<Item = i64>) {
        self.scheduled_global = true;
        self.scheduled_topics.extend(topic_ids);
    }

    /// Moves the stamp of every changed scope, once, and gives each (and
    /// each scope whose schedule changed) the transaction's new version.
    pub fn apply(self, conn: &Connection, now_ms: i64) -> Result<()> {
        if self.global.is_none()
            && self.topic_list.is_none()
            && self.topics.is_empty()
            && self.created.is_empty()
            && !self.scheduled_global
        {
            return Ok(());
        }
        // An unlisted topic appears in the topic list when its first release
        // reaches its time: moving that release moves the list's next change.
        let unlisted_scheduled = {
            let mut unlisted =
                conn.prepare_cached("SELECT 1 FROM topics WHERE id = ?1 AND listed = 0")?;
            let mut any = false;
            for id in &self.scheduled_topics {
                if unlisted.exists([id])? {
                    any = true;
                    break;
                }
            }
            any
        };
        let version = super::versions::next_version(conn)?;
        let topics: HashSet<i64> = self
            .topics
            .keys()
            .chain(&self.created)
            .chain(&self.scheduled_topics)
            .copied()
            .collect();
        super::versions::mark(
            conn,
            version,
            self.global.is_some() || self.scheduled_global,
            self.topic_list.is_some() || unlisted_scheduled,
            topics.iter(),
        )?;
        if let Some(previous) = self.global {
            conn.prepare_cached("UPDATE site_state SET value = ?1 WHERE key = 'feed_changed_at'")?
                .execute([next_stamp(previous, now_ms)])?;
        }
        if let Some(previous) = self.topic_list {
            conn.prepare_cached(
                "UPDATE site_state SET value = ?1 WHERE key = 'topics_changed_at'",
            )?
            .execute([next_stamp(previous, now_ms)])?;
        }
        let mut touch = conn.prepare_cached("UPDATE topics SET changed_at = ?2 WHERE id = ?1")?;
        for (id, previous) in self.topics {
            touch.execute(params![id, next_stamp(previous, now_ms)])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_lands_on_a_second_no_earlier_version_was_sent_with() {
        // Previous version's second is over: the write's own time.
        assert_eq!(next_stamp(21, 22_300), 22_300);
        // Same second as the previous version: the next second.
        assert_eq!(next_stamp(22, 22_300), 23_000);
        assert_eq!(next_stamp(22, 22_000), 23_000);
        // The previous version's second has not come yet (so it was never
        // sent): it may be shared, and the stamp stays a second ahead at most.
        assert_eq!(next_stamp(23, 22_800), 23_000);
    }

    #[test]
    fn a_scheduled_release_counts_from_the_second_after_it_became_visible() {
        // Published after its last write: visible by itself, rounded up.
        assert_eq!(last_modified_secs(10_000, Some((22_500, 5_000))), 23);
        assert_eq!(last_modified_secs(10_000, Some((22_000, 5_000))), 22);
        // Written after it was published: the write moved the stamp.
        assert_eq!(last_modified_secs(22_700, Some((22_500, 22_700))), 22);
        assert_eq!(last_modified_secs(30_000, Some((22_500, 5_000))), 30);
        assert_eq!(last_modified_secs(22_999, None), 22);
    }
}
