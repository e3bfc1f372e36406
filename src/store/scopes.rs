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
//!
//! The parts of a scope (one month: an archive document; one language: a
//! language feed; `parts.rs`) have stamps and versions of their own, moved
//! by the writes that change what that part shows, so an edit in March
//! leaves every other month's validators alone. A part's stamp moves with
//! its scope's, to the next second after anything the scope *or any of its
//! parts* may have been sent with: a part's Last-Modified is never later
//! than that bound, so this stays later than whatever a client holds,
//! without reading each part's own history. Archive documents link their
//! neighbouring months, so a write that makes a month appear or vanish
//! changes the months on either side too; renaming a topic changes every
//! part of each scope whose items name it.

use super::Result;
use super::parts::{self, GLOBAL};
use crate::domain::{Lang, Month};
use crate::model::Part;
use crate::store::db::{self, Conn, OptionalExtension, params};
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
    /// Parts (scope, part) whose content changes, each with whether
    /// readers saw anything in it before the transaction.
    parts: HashMap<(i64, Part), bool>,
    /// Scopes every part of which changes (a topic renamed).
    every_part: HashSet<i64>,
    /// Parts whose next change moves (a release scheduled in them), and
    /// scopes whose newest month's next change moves (its link to the
    /// next month comes with the release).
    scheduled_parts: HashSet<(i64, Part)>,
    scheduled_newest_month: HashSet<i64>,
    /// The OPML's next change moves (a language scheduled to appear).
    scheduled_topic_list: bool,
}

impl ChangedScopes {
    /// The global feeds change (call before the write changes what they show).
    pub fn global(&mut self, conn: &Conn, now_ms: i64) -> Result<()> {
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
    pub fn topic(&mut self, conn: &Conn, topic_id: i64, now_ms: i64) -> Result<()> {
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
        conn: &Conn,
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
    pub fn topic_list(&mut self, conn: &Conn, now_ms: i64) -> Result<()> {
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

    /// A release visible before or after the write, published at
    /// `published_ms` in `lang`, in the global scope and `topic_ids`: its
    /// month and its language change in each (call before the write).
    pub fn release_parts(
        &mut self,
        conn: &Conn,
        topic_ids: &[i64],
        published_ms: i64,
        lang: &str,
        now_ms: i64,
    ) -> Result<()> {
        self.global(conn, now_ms)?;
        for id in topic_ids {
            self.topic(conn, *id, now_ms)?;
        }
        for part in release_parts_of(published_ms, lang) {
            for scope in std::iter::once(GLOBAL).chain(topic_ids.iter().copied()) {
                if let std::collections::hash_map::Entry::Vacant(e) =
                    self.parts.entry((scope, part.clone()))
                {
                    e.insert(parts::part_is_shown(conn, scope, &part, now_ms)?);
                }
            }
        }
        Ok(())
    }

    /// A release scheduled for later, published at `published_ms` in
    /// `lang`, in the global scope and `topic_ids`: the next change of its
    /// parts moves ([`ChangedScopes::schedule`] is called too).
    pub fn schedule_parts(&mut self, topic_ids: &[i64], published_ms: i64, lang: &str) {
        self.schedule(topic_ids.iter().copied());
        for scope in std::iter::once(GLOBAL).chain(topic_ids.iter().copied()) {
            self.scheduled_newest_month.insert(scope);
            for part in release_parts_of(published_ms, lang) {
                self.scheduled_parts.insert((scope, part));
            }
        }
    }

    /// Every scope and every part changes (something every item may show:
    /// an organisation's boilerplate, an image's size); rare writes, so a
    /// few more validators than needed move.
    pub fn everything(conn: &Conn, now_ms: i64) -> Result<Self> {
        let mut scopes = Self::default();
        scopes.global(conn, now_ms)?;
        let topics = conn
            .prepare_cached("SELECT id FROM topics")?
            .query_map([], |r| r.get(0))?
            .collect::<db::Result<Vec<i64>>>()?;
        for id in &topics {
            scopes.topic(conn, *id, now_ms)?;
        }
        scopes.every_part(true, &topics);
        Ok(scopes)
    }

    /// Every part of the global scope (when `global`) and of `topic_ids`
    /// changes: their items show a renamed topic.
    pub fn every_part(&mut self, global: bool, topic_ids: &[i64]) {
        if global {
            self.every_part.insert(GLOBAL);
        }
        self.every_part.extend(topic_ids);
    }

    /// Moves the stamp of every changed scope, once, and gives each (and
    /// each scope whose schedule changed) the transaction's new version.
    pub fn apply(mut self, conn: &Conn, now_ms: i64) -> Result<()> {
        if self.global.is_none()
            && self.topic_list.is_none()
            && self.topics.is_empty()
            && self.created.is_empty()
            && !self.scheduled_global
            && self.every_part.is_empty()
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
        self.apply_parts(conn, version, now_ms)?;
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
            self.topic_list.is_some() || unlisted_scheduled || self.scheduled_topic_list,
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

impl ChangedScopes {
    /// The Last-Modified second `scope` had before this transaction, as
    /// recorded by [`ChangedScopes::global`] / [`ChangedScopes::topic`].
    fn recorded(&self, scope: i64) -> i64 {
        let recorded = if scope == GLOBAL {
            self.global
        } else {
            self.topics.get(&scope).copied()
        };
        recorded.unwrap_or(i64::MIN)
    }

    /// Moves the stamps and versions of the changed parts (before the
    /// scopes' own stamps move: their recorded seconds are the bound).
    fn apply_parts(&mut self, conn: &Conn, version: i64, now_ms: i64) -> Result<()> {
        // A month that appears or vanishes changes the links of its
        // neighbours (after the write: those are the ones that now link,
        // or linked, to it).
        // A language that appears or vanishes changes the OPML, which
        // lists the language feeds.
        let mut neighbours = Vec::new();
        let mut languages_changed = false;
        for ((scope, part), shown_before) in &self.parts {
            if parts::part_is_shown(conn, *scope, part, now_ms)? == *shown_before {
                continue;
            }
            match part {
                Part::Month(m) => {
                    let (prev, next) = parts::neighbours(conn, *scope, *m, now_ms)?;
                    neighbours.extend(
                        prev.into_iter()
                            .chain(next)
                            .map(|n| (*scope, Part::Month(n))),
                    );
                }
                Part::Lang(_) => languages_changed |= *scope == GLOBAL,
            }
        }
        if languages_changed {
            self.topic_list(conn, now_ms)?;
        }
        for key in neighbours {
            self.parts.entry(key).or_insert(true);
        }
        let mut stamps: HashMap<i64, i64> = HashMap::new();
        let scopes: HashSet<i64> = self
            .parts
            .keys()
            .map(|(scope, _)| *scope)
            .chain(self.every_part.iter().copied())
            .collect();
        for scope in scopes {
            let bound = self
                .recorded(scope)
                .max(parts::newest_part_stamp(conn, scope)?.div_euclid(1000));
            stamps.insert(scope, next_stamp(bound, now_ms));
        }
        let mut upsert = conn.prepare_cached(
            "INSERT INTO feed_parts (topic_id, part, changed_at, version) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (topic_id, part) DO UPDATE SET changed_at = excluded.changed_at, version = excluded.version",
        )?;
        for (scope, part) in self.parts.keys() {
            upsert.execute(params![scope, part.key(), stamps[scope], version])?;
        }
        let mut all = conn.prepare_cached(
            "UPDATE feed_parts SET changed_at = ?2, version = ?3 WHERE topic_id = ?1",
        )?;
        for scope in &self.every_part {
            all.execute(params![scope, stamps[scope], version])?;
        }
        // Scheduled: nothing readers see moves, only what caches may keep.
        for scope in &self.scheduled_newest_month {
            if let Some((newest, _)) = parts::newest_before(conn, *scope, now_ms.saturating_add(1))?
                && let Some(m) = Month::of_ms(newest)
            {
                self.scheduled_parts.insert((*scope, Part::Month(m)));
            }
        }
        let mut touch = conn.prepare_cached(
            "INSERT INTO feed_parts (topic_id, part, version) VALUES (?1, ?2, ?3) \
             ON CONFLICT (topic_id, part) DO UPDATE SET version = excluded.version",
        )?;
        for (scope, part) in &self.scheduled_parts {
            touch.execute(params![scope, part.key(), version])?;
            // A language not shown yet will appear in the OPML by itself.
            if *scope == GLOBAL
                && matches!(part, Part::Lang(_))
                && !parts::part_is_shown(conn, *scope, part, now_ms)?
            {
                self.scheduled_topic_list = true;
            }
        }
        Ok(())
    }
}

/// The parts a release published at `published_ms` in `lang` is in.
fn release_parts_of(published_ms: i64, lang: &str) -> Vec<Part> {
    let month = Month::of_ms(published_ms).map(Part::Month);
    let lang = Lang::parse(lang).ok().map(Part::Lang);
    month.into_iter().chain(lang).collect()
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
