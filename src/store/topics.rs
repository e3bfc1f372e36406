//! The `topics` table: reading topics, creating them (from the Topics page,
//! inline from the release form, or named by an import), renaming,
//! describing and deleting them.

use super::scopes::{ChangedScopes, ceil_secs};
use super::{Conflict, Result, Store, from_ms, to_ms};
use crate::domain::Slug;
use crate::model::Topic;
use crate::store::db::{self, Conn, OptionalExtension, Row, params};
use chrono::{DateTime, Utc};

const TOPIC_COLUMNS: &str = "id, slug, name, description, changed_at";

/// A topic to create along with a release (typed inline in the form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub slug: Slug,
    pub name: String,
}

/// A topic and how many releases use it.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicUsage {
    pub topic: Topic,
    pub releases: i64,
    /// False while only drafts or releases scheduled for later are in it.
    pub public: bool,
}

/// The public topic list at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicTopics {
    pub topics: Vec<Topic>,
    /// Whole seconds (see [`topic_list_last_modified_secs`]).
    pub last_modified: DateTime<Utc>,
    /// When an unlisted topic next appears by itself.
    pub next_change: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicDeletion {
    Deleted,
    NotFound,
    /// Releases still use it; nothing was changed.
    InUse(i64),
}

fn topic_from_row(row: &Row<'_>) -> db::Result<Topic> {
    Ok(Topic {
        id: row.get(0)?,
        slug: row.get(1)?,
        name: row.get(2)?,
        description: row.get(3)?,
        changed_at: from_ms(row.get(4)?),
    })
}

pub(super) fn find_topic(conn: &Conn, slug: &str) -> db::Result<Option<Topic>> {
    conn.prepare_cached(&format!(
        "SELECT {TOPIC_COLUMNS} FROM topics WHERE slug = ?1"
    ))?
    .query_row([slug], topic_from_row)
    .optional()
}

/// "rule-of-law" → "Rule of law": a readable name for a topic first seen in an import.
pub(crate) fn name_from_slug(slug: &str) -> String {
    let words = slug.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether topic `t` is public at `?1` (milliseconds): listed, or with a
/// release readers can see (the topic's feeds and pages exist from then on).
const PUBLIC_AT_1: &str = "(t.listed = 1 OR EXISTS (SELECT 1 FROM release_topics v \
     WHERE v.topic_id = t.id AND v.feed_at <= ?1))";

/// The latest instant an unlisted topic became public by itself (its first
/// release reaching its time, with no write), at or before `?1`.
const BECAME_PUBLIC_SQL: &str = "SELECT max(first) FROM (SELECT min(rt.feed_at) AS first \
     FROM topics t JOIN release_topics rt ON rt.topic_id = t.id \
     WHERE t.listed = 0 AND rt.feed_at IS NOT NULL GROUP BY t.id) firsts WHERE first <= ?1";

/// The next instant an unlisted topic becomes public by itself, after `?1`.
const BECOMES_PUBLIC_SQL: &str = "SELECT min(rt.feed_at) FROM topics t \
     JOIN release_topics rt ON rt.topic_id = t.id \
     WHERE t.listed = 0 AND rt.feed_at > ?1 AND NOT EXISTS (SELECT 1 FROM release_topics v \
     WHERE v.topic_id = t.id AND v.feed_at <= ?1)";

/// The topic list's Last-Modified second at `now_ms`: its stamp, or the
/// second after an unlisted topic appeared in it by itself, whichever is
/// later (the same rule as a feed's, `scopes.rs`).
pub(super) fn topic_list_last_modified_secs(conn: &Conn, now_ms: i64) -> Result<i64> {
    let stamp: i64 = conn
        .prepare_cached("SELECT value FROM site_state WHERE key = 'topics_changed_at'")?
        .query_row([], |r| r.get(0))?;
    let appeared: Option<i64> = conn
        .prepare_cached(BECAME_PUBLIC_SQL)?
        .query_row([now_ms], |r| r.get(0))?;
    Ok(stamp
        .div_euclid(1000)
        .max(appeared.map_or(i64::MIN, ceil_secs)))
}

/// Topic `slug` if readers may know of it at `now_ms`.
pub(super) fn find_public_topic(conn: &Conn, slug: &str, now_ms: i64) -> db::Result<Option<Topic>> {
    conn.prepare_cached(&format!(
        "SELECT {TOPIC_COLUMNS} FROM topics t WHERE {PUBLIC_AT_1} AND slug = ?2"
    ))?
    .query_row(params![now_ms, slug], topic_from_row)
    .optional()
}

/// Adds a topic inside the caller's transaction; every way a topic comes
/// to exist goes through here. A `listed` topic changes the topic list at
/// once; an unlisted one (brought in by a release readers cannot see yet)
/// only when a release in it becomes visible.
fn insert_topic(
    conn: &Conn,
    new: (&Slug, &str, Option<&str>),
    listed: bool,
    now_ms: i64,
    scopes: &mut ChangedScopes,
) -> Result<i64> {
    let (slug, name, description) = new;
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO topics (slug, name, description, created_at, changed_at, listed) \
         VALUES (?1, ?2, ?3, ?4, ?4, ?5) RETURNING id",
        )?
        .query_row(
            params![slug.as_str(), name, description, now_ms, listed],
            |r| r.get(0),
        )?;
    scopes.created_topic(conn, id, listed, now_ms)?;
    Ok(id)
}

/// The id of topic `slug`, creating it (called `name()`) when it does not
/// exist yet; `visible` says whether the release naming it is.
pub(super) fn topic_id_or_create(
    conn: &Conn,
    slug: &Slug,
    name: impl FnOnce() -> String,
    visible: bool,
    now_ms: i64,
    scopes: &mut ChangedScopes,
) -> Result<i64> {
    let id: Option<i64> = conn
        .prepare_cached("SELECT id FROM topics WHERE slug = ?1")?
        .query_row([slug.as_str()], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => Ok(id),
        None => insert_topic(conn, (slug, &name(), None), visible, now_ms, scopes),
    }
}

/// Ids of the named topics, creating any that do not exist yet (named
/// after their slug); `visible` says whether the release naming them is.
pub(super) fn ensure_topics(
    conn: &Conn,
    slugs: &[Slug],
    visible: bool,
    now_ms: i64,
    scopes: &mut ChangedScopes,
) -> Result<Vec<i64>> {
    slugs
        .iter()
        .map(|slug| {
            let name = || name_from_slug(slug.as_str());
            topic_id_or_create(conn, slug, name, visible, now_ms, scopes)
        })
        .collect()
}

/// Topics a release readers can see (now, or before this write) is in stay
/// public for good, even once that release is retracted: their feeds have
/// subscribers. Call before the write; a topic that was unlisted changes
/// the topic list.
pub(super) fn list_topics(
    conn: &Conn,
    topic_ids: &[i64],
    now_ms: i64,
    scopes: &mut ChangedScopes,
) -> Result<()> {
    let mut list =
        conn.prepare_cached("UPDATE topics SET listed = 1 WHERE id = ?1 AND listed = 0")?;
    for id in topic_ids {
        if list.execute([id])? > 0 {
            scopes.topic_list(conn, now_ms)?;
        }
    }
    Ok(())
}

/// Records what renaming or describing a topic changes: its own feeds
/// (their title), and, through the releases visible in it, whose items show
/// its name as a category, the global feeds and every topic sharing one.
fn topic_and_neighbours_change(
    conn: &Conn,
    topic_id: i64,
    now_ms: i64,
    scopes: &mut ChangedScopes,
) -> Result<()> {
    scopes.topic(conn, topic_id, now_ms)?;
    let neighbours = conn
        .prepare_cached(
            "SELECT DISTINCT b.topic_id FROM release_topics a JOIN release_topics b \
             ON a.release_id = b.release_id WHERE a.topic_id = ?1 AND a.feed_at <= ?2",
        )?
        .query_map(params![topic_id, now_ms], |r| r.get(0))?
        .collect::<db::Result<Vec<i64>>>()?;
    if !neighbours.is_empty() {
        scopes.global(conn, now_ms)?;
    }
    for id in &neighbours {
        scopes.topic(conn, *id, now_ms)?;
    }
    // Every archive and language feed of these scopes names it too.
    scopes.every_part(!neighbours.is_empty(), &neighbours);
    scopes.every_part(false, &[topic_id]);
    Ok(())
}

impl Store {
    /// All topics by name, unlisted ones included (for the newsroom).
    pub fn topics(&self) -> Result<Vec<Topic>> {
        Ok(self
            .conn()?
            .prepare_cached(&format!(
                "SELECT {TOPIC_COLUMNS} FROM topics ORDER BY lower(name), slug"
            ))?
            .query_map([], topic_from_row)?
            .collect::<db::Result<Vec<_>>>()?)
    }

    /// The topics readers may know of at `now`, by name: the topic list
    /// behind the OPML and the public pages.
    pub fn public_topics(&self, now: DateTime<Utc>) -> Result<PublicTopics> {
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        let now_ms = to_ms(now);
        let topics = tx
            .prepare_cached(&format!(
                "SELECT {TOPIC_COLUMNS} FROM topics t WHERE {PUBLIC_AT_1} \
                 ORDER BY lower(name), slug"
            ))?
            .query_map([now_ms], topic_from_row)?
            .collect::<db::Result<Vec<_>>>()?;
        let last_modified = topic_list_last_modified_secs(&tx, now_ms)?;
        let next_change: Option<i64> = tx
            .prepare_cached(BECOMES_PUBLIC_SQL)?
            .query_row([now_ms], |r| r.get(0))?;
        Ok(PublicTopics {
            topics,
            last_modified: from_ms(last_modified.saturating_mul(1000)),
            next_change: next_change.map(from_ms),
        })
    }

    pub fn topic_by_slug(&self, slug: &str) -> Result<Option<Topic>> {
        Ok(find_topic(&self.conn()?, slug)?)
    }

    /// Every topic with its number of releases and whether readers may
    /// know of it at `now`, by name.
    pub fn topic_usage(&self, now: DateTime<Utc>) -> Result<Vec<TopicUsage>> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached(&format!(
                "SELECT {TOPIC_COLUMNS}, \
                 (SELECT count(*) FROM release_topics rt WHERE rt.topic_id = t.id), {PUBLIC_AT_1} \
                 FROM topics t ORDER BY lower(name), slug"
            ))?
            .query_map([to_ms(now)], |r| {
                Ok(TopicUsage {
                    topic: topic_from_row(r)?,
                    releases: r.get(5)?,
                    public: r.get(6)?,
                })
            })?
            .collect::<db::Result<Vec<_>>>()?)
    }

    /// Creates a topic; `Taken` when the slug exists.
    pub fn create_topic(
        &self,
        slug: &Slug,
        name: &str,
        description: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        if find_topic(&tx, slug.as_str())?.is_some() {
            return Err(Conflict::TopicTaken(slug.to_string()).into());
        }
        let now_ms = to_ms(now);
        let mut scopes = ChangedScopes::default();
        insert_topic(&tx, (slug, name, description), true, now_ms, &mut scopes)?;
        scopes.apply(&tx, now_ms)?;
        tx.commit()?;
        Ok(())
    }

    /// Renames and/or describes a topic; its slug (and so its feed URLs)
    /// stays. False when it does not exist; no write when nothing changes.
    pub fn update_topic(
        &self,
        slug: &str,
        name: &str,
        description: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        let Some(topic) = find_topic(&tx, slug)? else {
            return Ok(false);
        };
        if topic.name == name && topic.description.as_deref() == description {
            return Ok(true);
        }
        let now_ms = to_ms(now);
        let mut scopes = ChangedScopes::default();
        topic_and_neighbours_change(&tx, topic.id, now_ms, &mut scopes)?;
        if find_public_topic(&tx, slug, now_ms)?.is_some() {
            scopes.topic_list(&tx, now_ms)?;
        }
        tx.prepare_cached("UPDATE topics SET name = ?2, description = ?3 WHERE id = ?1")?
            .execute(params![topic.id, name, description])?;
        scopes.apply(&tx, now_ms)?;
        tx.commit()?;
        Ok(true)
    }

    /// Deletes a topic that no release uses.
    pub fn delete_topic(&self, slug: &str, now: DateTime<Utc>) -> Result<TopicDeletion> {
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        let Some(topic) = find_topic(&tx, slug)? else {
            return Ok(TopicDeletion::NotFound);
        };
        let used: i64 = tx.query_row(
            "SELECT count(*) FROM release_topics WHERE topic_id = ?1",
            [topic.id],
            |r| r.get(0),
        )?;
        if used > 0 {
            return Ok(TopicDeletion::InUse(used));
        }
        let now_ms = to_ms(now);
        let mut scopes = ChangedScopes::default();
        if find_public_topic(&tx, slug, now_ms)?.is_some() {
            scopes.topic_list(&tx, now_ms)?;
        }
        tx.prepare_cached("DELETE FROM topics WHERE id = ?1")?
            .execute([topic.id])?;
        tx.prepare_cached("DELETE FROM feed_parts WHERE topic_id = ?1")?
            .execute([topic.id])?;
        scopes.apply(&tx, now_ms)?;
        tx.commit()?;
        Ok(TopicDeletion::Deleted)
    }
}
