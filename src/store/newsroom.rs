//! What the newsroom needs beyond the import path: releases by id, the
//! admin list, status changes, and topic editing. Every write keeps the
//! record of the feeds it changes (`scopes.rs`), which drives `Last-Modified`.

use super::releases::{
    RELEASE_COLUMNS, attach_topics, feeds_of_release_change, release_from_row, remember_if_public,
    save_one, slug_is_locked, state_clause,
};
use super::scopes::ChangedScopes;
use super::topics::find_topic;
use super::{Result, Store, StoreError, from_ms, to_ms};
use crate::domain::{Lifecycle, ReleaseDraft, Slug, State, Status};
use crate::model::{Release, SaveOutcome, Topic};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// Which releases the admin list shows. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseFilter {
    pub status: Option<State>,
    pub topic: Option<String>,
    pub lang: Option<String>,
    /// Case-insensitive substring of the title.
    pub title: Option<String>,
}

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

fn like_pattern(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn find_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Release>> {
    super::releases::find_release_where(conn, "r.id = ?1", &id)
}

fn slug_owner(conn: &Connection, slug: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM releases WHERE slug = ?1")?
        .query_row([slug], |r| r.get(0))
        .optional()
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
    pub fn release_by_id(&self, id: i64) -> Result<Option<Release>> {
        Ok(find_by_id(&*self.conn()?, id)?)
    }

    /// The stored Markdown of a release, when an admin typed it.
    pub fn release_body_source(&self, id: i64) -> Result<Option<String>> {
        Ok(self
            .conn()?
            .prepare_cached("SELECT body_source FROM releases WHERE id = ?1")?
            .query_row([id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    /// Whether the slug may no longer change (readers could have seen it).
    pub fn release_slug_locked(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        slug_is_locked(&*self.conn()?, id, to_ms(now))
    }

    /// The id of the release using `slug`, if any.
    pub fn release_id_by_slug(&self, slug: &str) -> Result<Option<i64>> {
        Ok(slug_owner(&*self.conn()?, slug)?)
    }

    /// One page of the admin list, newest first, and how many match in all.
    pub fn list_releases(
        &self,
        filter: &ReleaseFilter,
        now: DateTime<Utc>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Release>, i64)> {
        let mut clauses: Vec<&str> = Vec::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
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
        let tx = conn.unchecked_transaction()?;
        let total: i64 = tx.query_row(
            &format!("SELECT count(*) FROM releases r{where_sql}"),
            rusqlite::params_from_iter(args.iter()),
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
            .query_map(
                rusqlite::params_from_iter(page_args.iter()),
                release_from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        attach_topics(&tx, &mut items)?;
        Ok((items, total))
    }

    /// Languages used by at least one release, for the list filter.
    pub fn release_languages(&self) -> Result<Vec<String>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached("SELECT DISTINCT lang FROM releases ORDER BY lang")?;
        let langs = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(langs)
    }

    /// Saves a release from the newsroom in one transaction: creates the
    /// inline topics, renames the slug when allowed (`existing_id` given and
    /// not yet public), stores the release and the Markdown it came from
    /// (`draft.body_source`; `None` forgets it, so the form shows the HTML).
    /// Returns the release's id.
    pub fn save_newsroom_release(
        &self,
        existing_id: Option<i64>,
        draft: &ReleaseDraft,
        new_topics: &[NewTopic],
        now: DateTime<Utc>,
        authority: &str,
    ) -> Result<(i64, SaveOutcome)> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now_ms = to_ms(now);
        let mut scopes = ChangedScopes::default();
        for t in new_topics {
            if find_topic(&tx, t.slug.as_str())?.is_none() {
                tx.prepare_cached(
                    "INSERT INTO topics (slug, name, created_at, changed_at) VALUES (?1, ?2, ?3, ?3)",
                )?
                .execute(params![t.slug.as_str(), t.name, now_ms])?;
                scopes.created_topic(&tx, tx.last_insert_rowid())?;
            }
        }
        let owner = slug_owner(&tx, draft.slug.as_str())?;
        match existing_id {
            None => {
                if owner.is_some() {
                    return Err(StoreError::Taken {
                        what: "slug",
                        value: draft.slug.to_string(),
                    });
                }
            }
            Some(id) => {
                let Some(existing) = find_by_id(&tx, id)? else {
                    return Err(StoreError::Conflict(format!("release {id} does not exist")));
                };
                if existing.slug != draft.slug.as_str() {
                    if owner.is_some() {
                        return Err(StoreError::Taken {
                            what: "slug",
                            value: draft.slug.to_string(),
                        });
                    }
                    if slug_is_locked(&tx, id, now_ms)? {
                        return Err(StoreError::Conflict(format!(
                            "the slug of {:?} cannot change: it has been published",
                            existing.slug
                        )));
                    }
                    tx.prepare_cached("UPDATE releases SET slug = ?2 WHERE id = ?1")?
                        .execute(params![id, draft.slug.as_str()])?;
                }
            }
        }
        let outcome = save_one(&tx, draft, now, authority, &mut scopes)?;
        let id = slug_owner(&tx, draft.slug.as_str())?
            .ok_or_else(|| StoreError::Conflict("the saved release vanished".into()))?;
        tx.prepare_cached(
            "UPDATE releases SET body_source = ?2 WHERE id = ?1 AND body_source IS NOT ?2",
        )?
        .execute(params![id, draft.body_source])?;
        scopes.apply(&tx, now_ms)?;
        tx.commit()?;
        Ok((id, outcome))
    }

    /// Retracts (`Status::Retracted`, with an optional notice) or restores
    /// (`Status::Published`, notice cleared) a release. False when it does
    /// not exist. Feeds and pages see the change at once.
    pub fn set_release_status(
        &self,
        id: i64,
        status: Status,
        retraction_note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now_ms = to_ms(now);
        remember_if_public(&tx, id, now_ms)?;
        let Some((before, published_ms)) = tx
            .prepare_cached("SELECT status, published_at FROM releases WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .optional()?
        else {
            return Ok(false);
        };
        // Feeds change when it is visible before or after; retracting or
        // restoring a release scheduled for later changes none.
        let published_at = from_ms(published_ms);
        let public = |status| {
            Lifecycle {
                status,
                published_at,
            }
            .is_public(now)
        };
        let before = Status::parse(&before).unwrap_or(Status::Draft);
        let mut scopes = ChangedScopes::default();
        if public(before) || public(status) {
            feeds_of_release_change(&tx, id, now_ms, &mut scopes)?;
        }
        tx.prepare_cached(
            "UPDATE releases SET status = ?2, retraction_note = ?3, \
             changed_at = max(changed_at + 1, ?4), \
             retracted_at = CASE WHEN ?2 = 'retracted' THEN coalesce(retracted_at, ?4) END \
             WHERE id = ?1",
        )?
        .execute(params![id, status.as_str(), retraction_note, now_ms])?;
        scopes.apply(&tx, now_ms)?;
        tx.commit()?;
        Ok(true)
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
            return Err(StoreError::Taken {
                what: "topic",
                value: slug.to_string(),
            });
        }
        let now_ms = to_ms(now);
        tx.prepare_cached(
            "INSERT INTO topics (slug, name, description, created_at, changed_at) \
             VALUES (?1, ?2, ?3, ?4, ?4)",
        )?
        .execute(params![slug.as_str(), name, description, now_ms])?;
        let mut scopes = ChangedScopes::default();
        scopes.created_topic(&tx, tx.last_insert_rowid())?;
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
