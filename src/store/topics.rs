//! The `topics` table: reading topics, creating them (from the Topics page,
//! inline from the release form, or named by an import), renaming,
//! describing and deleting them.

use super::scopes::ChangedScopes;
use super::{Conflict, Result, Store, from_ms, to_ms};
use crate::domain::Slug;
use crate::model::Topic;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicDeletion {
    Deleted,
    NotFound,
    /// Releases still use it; nothing was changed.
    InUse(i64),
}

fn topic_from_row(row: &Row<'_>) -> rusqlite::Result<Topic> {
    Ok(Topic {
        id: row.get(0)?,
        slug: row.get(1)?,
        name: row.get(2)?,
        description: row.get(3)?,
        changed_at: from_ms(row.get(4)?),
    })
}

pub(super) fn find_topic(conn: &Connection, slug: &str) -> rusqlite::Result<Option<Topic>> {
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

/// Adds a topic inside the caller's transaction, recording that the topic
/// list changed; every way a topic comes to exist goes through here.
fn insert_topic(
    conn: &Connection,
    slug: &Slug,
    name: &str,
    description: Option<&str>,
    now_ms: i64,
    scopes: &mut ChangedScopes,
) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO topics (slug, name, description, created_at, changed_at) \
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![slug.as_str(), name, description, now_ms])?;
    let id = conn.last_insert_rowid();
    scopes.created_topic(conn, id)?;
    Ok(id)
}

/// The id of topic `slug`, creating it (called `name()`) when it does not
/// exist yet.
pub(super) fn topic_id_or_create(
    conn: &Connection,
    slug: &Slug,
    name: impl FnOnce() -> String,
    now_ms: i64,
    scopes: &mut ChangedScopes,
) -> Result<i64> {
    let id: Option<i64> = conn
        .prepare_cached("SELECT id FROM topics WHERE slug = ?1")?
        .query_row([slug.as_str()], |r| r.get(0))
        .optional()?;
    match id {
        Some(id) => Ok(id),
        None => insert_topic(conn, slug, &name(), None, now_ms, scopes),
    }
}

/// Ids of the named topics, creating any that do not exist yet (named
/// after their slug).
pub(super) fn ensure_topics(
    conn: &Connection,
    slugs: &[Slug],
    now_ms: i64,
    scopes: &mut ChangedScopes,
) -> Result<Vec<i64>> {
    slugs
        .iter()
        .map(|slug| {
            topic_id_or_create(conn, slug, || name_from_slug(slug.as_str()), now_ms, scopes)
        })
        .collect()
}

/// Records what renaming or describing a topic changes: its own feeds
/// (their title), and, through the releases visible in it, whose items show
/// its name as a category, the global feeds and every topic sharing one.
fn topic_and_neighbours_change(
    conn: &Connection,
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
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    if !neighbours.is_empty() {
        scopes.global(conn, now_ms)?;
    }
    for id in neighbours {
        scopes.topic(conn, id, now_ms)?;
    }
    Ok(())
}

impl Store {
    /// All topics by name, and when that list last changed.
    pub fn topics(&self) -> Result<(Vec<Topic>, DateTime<Utc>)> {
        let conn = self.conn()?;
        let tx = conn.unchecked_transaction()?;
        let topics = tx
            .prepare_cached(&format!(
                "SELECT {TOPIC_COLUMNS} FROM topics ORDER BY name COLLATE NOCASE, slug"
            ))?
            .query_map([], topic_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let changed: i64 = tx.query_row(
            "SELECT value FROM site_state WHERE key = 'topics_changed_at'",
            [],
            |r| r.get(0),
        )?;
        Ok((topics, from_ms(changed)))
    }

    pub fn topic_by_slug(&self, slug: &str) -> Result<Option<Topic>> {
        Ok(find_topic(&*self.conn()?, slug)?)
    }

    /// Every topic with its number of releases, by name.
    pub fn topic_usage(&self) -> Result<Vec<TopicUsage>> {
        let (topics, _) = self.topics()?;
        let conn = self.conn()?;
        let mut count = conn.prepare_cached(
            "SELECT count(*) FROM release_topics rt JOIN topics t ON t.id = rt.topic_id \
             WHERE t.slug = ?1",
        )?;
        topics
            .into_iter()
            .map(|topic| {
                let releases = count.query_row([&topic.slug], |r| r.get(0))?;
                Ok(TopicUsage { topic, releases })
            })
            .collect()
    }

    /// Creates a topic; `Taken` when the slug exists.
    pub fn create_topic(
        &self,
        slug: &Slug,
        name: &str,
        description: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if find_topic(&tx, slug.as_str())?.is_some() {
            return Err(Conflict::TopicTaken(slug.to_string()).into());
        }
        let now_ms = to_ms(now);
        let mut scopes = ChangedScopes::default();
        insert_topic(&tx, slug, name, description, now_ms, &mut scopes)?;
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
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let Some(topic) = find_topic(&tx, slug)? else {
            return Ok(false);
        };
        if topic.name == name && topic.description.as_deref() == description {
            return Ok(true);
        }
        let now_ms = to_ms(now);
        let mut scopes = ChangedScopes::default();
        topic_and_neighbours_change(&tx, topic.id, now_ms, &mut scopes)?;
        scopes.topic_list(&tx)?;
        tx.prepare_cached("UPDATE topics SET name = ?2, description = ?3 WHERE id = ?1")?
            .execute(params![topic.id, name, description])?;
        scopes.apply(&tx, now_ms)?;
        tx.commit()?;
        Ok(true)
    }

    /// Deletes a topic that no release uses.
    pub fn delete_topic(&self, slug: &str, now: DateTime<Utc>) -> Result<TopicDeletion> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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
        let mut scopes = ChangedScopes::default();
        scopes.topic_list(&tx)?;
        tx.prepare_cached("DELETE FROM topics WHERE id = ?1")?
            .execute([topic.id])?;
        scopes.apply(&tx, to_ms(now))?;
        tx.commit()?;
        Ok(TopicDeletion::Deleted)
    }
}
