//! The `releases` table (and its `release_topics` links): reading rows
//! into [`Release`]s, finding one, and the rules about its address.
//! Writes are in `write.rs`, the admin list and export in `list.rs`.

mod list;
mod translations;
mod write;

pub(super) use translations::attach_translations;

pub use list::ReleaseFilter;

use super::from_ms;
use super::scopes::ChangedScopes;
use super::{Result, Store};
use crate::domain::{Lifecycle, State, Status};
use crate::model::{Release, TopicRef};
use crate::store::db::{self, Conn, OptionalExtension, Row};
use chrono::{DateTime, Utc};

pub(super) const RELEASE_COLUMNS: &str = "r.id, r.uid, r.slug, r.title, r.summary, r.body_html, \
     r.organization, r.department, r.dateline, r.lang, r.status, r.published_at, r.updated_at, \
     r.created_at, r.changed_at, r.correction_note, r.retraction_note, r.notes_to_editors";

pub(super) const TOPICS_OF_RELEASE_SQL: &str = "SELECT t.slug, t.name FROM release_topics rt \
     JOIN topics t ON t.id = rt.topic_id WHERE rt.release_id = ?1 ORDER BY rt.position";

/// A release from `SELECT {RELEASE_COLUMNS}, r.body_source`.
pub(super) fn release_with_source(row: &Row<'_>) -> db::Result<Release> {
    let mut r = release_from_row(row)?;
    r.body_source = row.get(18)?;
    Ok(r)
}

pub(super) fn release_from_row(row: &Row<'_>) -> db::Result<Release> {
    let status: String = row.get(10)?;
    Ok(Release {
        id: row.get(0)?,
        uid: row.get(1)?,
        slug: row.get(2)?,
        title: row.get(3)?,
        summary: row.get(4)?,
        body_html: row.get(5)?,
        organization: row.get(6)?,
        department: row.get(7)?,
        dateline: row.get(8)?,
        lang: row.get(9)?,
        status: Status::parse(&status).unwrap_or(Status::Draft),
        published_at: from_ms(row.get(11)?),
        updated_at: from_ms(row.get(12)?),
        created_at: from_ms(row.get(13)?),
        changed_at: from_ms(row.get(14)?),
        correction_note: row.get(15)?,
        retraction_note: row.get(16)?,
        // Feeds never need it; single-release reads add it (`with_source`).
        body_source: None,
        topics: Vec::new(),
        translation_of: None,
        translations: Vec::new(),
        attachments: Vec::new(),
        media_contacts: Vec::new(),
        notes_to_editors: row.get(17)?,
        about: None,
    })
}

/// Fills in each release's topics, in the order they were given, and its
/// attachments.
pub(super) fn attach_topics(conn: &Conn, releases: &mut [Release]) -> db::Result<()> {
    super::media::attach_files(conn, releases, 64)?;
    super::furniture::attach_contacts(conn, releases, 64)?;
    super::furniture::attach_about(conn, releases)?;
    attach_topics_from(conn, releases, 64)
}

/// [`attach_topics`]; from `scan_from` releases on, with one scan of the
/// release-topic rows over the releases' span of ids when that span holds
/// not many more rows than they have (an archive month: 10,000 lookups,
/// each a statement run, were a fifth of its render).
fn attach_topics_from(conn: &Conn, releases: &mut [Release], scan_from: usize) -> db::Result<()> {
    if conn.is_postgres() && releases.len() > 1 {
        let ids = db::id_list(releases.iter().map(|r| r.id));
        let rows = conn
            .prepare_cached(
                "SELECT rt.release_id, t.slug, t.name FROM release_topics rt \
                 JOIN topics t ON t.id = rt.topic_id \
                 WHERE rt.release_id IN (SELECT value FROM json_each(?1)) \
                 ORDER BY rt.release_id, rt.position",
            )?
            .query_map([ids], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    TopicRef {
                        slug: row.get(1)?,
                        name: row.get(2)?,
                    },
                ))
            })?
            .collect::<db::Result<Vec<_>>>()?;
        super::hand_out(releases, rows, |r, t| r.topics = t);
        return Ok(());
    }
    if releases.len() >= scan_from
        && let (Some(low), Some(high)) = (
            releases.iter().map(|r| r.id).min(),
            releases.iter().map(|r| r.id).max(),
        )
    {
        let budget = releases.len().saturating_mul(8).saturating_add(256);
        let rows = conn
            .prepare_cached(
                "SELECT rt.release_id, rt.position, t.slug, t.name FROM release_topics rt \
                 JOIN topics t ON t.id = rt.topic_id \
                 WHERE rt.release_id >= ?1 AND rt.release_id <= ?2 LIMIT ?3",
            )?
            .query_map(
                db::params![low, high, i64::try_from(budget).unwrap_or(i64::MAX)],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(1)?,
                        TopicRef {
                            slug: row.get(2)?,
                            name: row.get(3)?,
                        },
                    ))
                },
            )?
            .collect::<db::Result<Vec<_>>>()?;
        if rows.len() < budget {
            let mut of: std::collections::HashMap<i64, Vec<(i64, TopicRef)>> =
                std::collections::HashMap::new();
            for (id, position, topic) in rows {
                of.entry(id).or_default().push((position, topic));
            }
            for r in releases.iter_mut() {
                let mut topics = of.get(&r.id).cloned().unwrap_or_default();
                topics.sort_by_key(|(position, _)| *position);
                r.topics = topics.into_iter().map(|(_, t)| t).collect();
            }
            return Ok(());
        }
    }
    let mut stmt = conn.prepare_cached(TOPICS_OF_RELEASE_SQL)?;
    for r in releases.iter_mut() {
        r.topics = stmt
            .query_map([r.id], |row| {
                Ok(TopicRef {
                    slug: row.get(0)?,
                    name: row.get(1)?,
                })
            })?
            .collect::<db::Result<_>>()?;
    }
    Ok(())
}

/// One release (with its topics) by a unique column.
pub(super) fn find_release_where(
    conn: &Conn,
    condition: &str,
    value: db::Value<'_>,
) -> db::Result<Option<Release>> {
    let sql = format!("SELECT {RELEASE_COLUMNS}, r.body_source FROM releases r WHERE {condition}");
    let found = conn
        .prepare_cached(&sql)?
        .query_row([value], release_with_source)
        .optional()?;
    Ok(match found {
        Some(mut r) => {
            attach_topics(conn, std::slice::from_mut(&mut r))?;
            r.translation_of = translations::original_slug(conn, r.id)?;
            Some(r)
        }
        None => None,
    })
}

pub(super) fn find_by_slug(conn: &Conn, slug: &str) -> db::Result<Option<Release>> {
    find_release_where(conn, "r.slug = ?1", db::ToValue::to_value(slug))
}

pub(super) fn find_by_id(conn: &Conn, id: i64) -> db::Result<Option<Release>> {
    super::releases::find_release_where(conn, "r.id = ?1", db::Value::Int(id))
}

pub(super) fn slug_owner(conn: &Conn, slug: &str) -> db::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM releases WHERE slug = ?1")?
        .query_row([slug], |r| r.get(0))
        .optional()
}

/// Records that the feeds showing release `release_id` change: the global
/// feeds and those of the topics it is in now, which readers can see it in
/// (call before changing it).
pub(super) fn feeds_of_release_change(
    conn: &Conn,
    release_id: i64,
    now: i64,
    scopes: &mut ChangedScopes,
) -> Result<()> {
    let (topic_ids, published, lang) = placement(conn, release_id)?;
    super::topics::list_topics(conn, &topic_ids, now, scopes)?;
    scopes.release_parts(conn, &topic_ids, published, &lang, now)
}

/// Where release `release_id` is now: its topics, when it is published
/// (ms) and its language (what decides the parts it is in).
fn placement(conn: &Conn, release_id: i64) -> Result<(Vec<i64>, i64, String)> {
    let topic_ids = conn
        .prepare_cached("SELECT topic_id FROM release_topics WHERE release_id = ?1")?
        .query_map([release_id], |r| r.get(0))?
        .collect::<db::Result<Vec<i64>>>()?;
    let (published, lang) = conn
        .prepare_cached("SELECT published_at, lang FROM releases WHERE id = ?1")?
        .query_row([release_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((topic_ids, published, lang))
}

/// A release's lifecycle and whether its address was noted as fixed.
fn lifecycle_of(conn: &Conn, id: i64) -> Result<Option<(Lifecycle, bool)>> {
    Ok(conn
        .prepare_cached("SELECT status, published_at, slug_locked FROM releases WHERE id = ?1")?
        .query_row([id], |r| {
            let status: String = r.get(0)?;
            let lifecycle = Lifecycle {
                status: Status::parse(&status).unwrap_or(Status::Draft),
                published_at: from_ms(r.get(1)?),
            };
            Ok((lifecycle, r.get::<_, bool>(2)?))
        })
        .optional()?)
}

/// Whether readers could have seen it: public now, or retracted (which it
/// only can be after being published).
fn seen(lifecycle: Lifecycle, now: DateTime<Utc>) -> bool {
    matches!(lifecycle.state(now), State::Public | State::Retracted)
}

/// Records that release `release_id`, scheduled for later, moves the next
/// change of the global feeds and of the topics it is in now (call before
/// changing it; see [`ChangedScopes::schedule`]).
pub(super) fn schedule_of_release_changes(
    conn: &Conn,
    release_id: i64,
    scopes: &mut ChangedScopes,
) -> Result<()> {
    let (topic_ids, published, lang) = placement(conn, release_id)?;
    scopes.schedule_parts(&topic_ids, published, &lang);
    Ok(())
}

/// Before a write changes a release's status or time: if readers can see
/// it now, its address is fixed from here on. Visibility comes with time,
/// not with a write, so it is noted at the first write that could end it.
pub(super) fn remember_if_public(conn: &Conn, id: i64, now: DateTime<Utc>) -> Result<()> {
    if let Some((lifecycle, false)) = lifecycle_of(conn, id)?
        && seen(lifecycle, now)
    {
        conn.prepare_cached("UPDATE releases SET slug_locked = 1 WHERE id = ?1")?
            .execute([id])?;
    }
    Ok(())
}

/// Whether a release's address is fixed: it is once readers could have
/// seen the release (or it was retracted); a scheduled release's address
/// can change until its time comes.
pub(super) fn slug_is_locked(conn: &Conn, id: i64, now: DateTime<Utc>) -> Result<bool> {
    Ok(lifecycle_of(conn, id)?.is_some_and(|(lifecycle, locked)| locked || seen(lifecycle, now)))
}

impl Store {
    pub fn release_by_slug(&self, slug: &str) -> Result<Option<Release>> {
        Ok(find_by_slug(&self.conn()?, slug)?)
    }

    pub fn release_by_id(&self, id: i64) -> Result<Option<Release>> {
        Ok(find_by_id(&self.conn()?, id)?)
    }

    /// A release by slug with the translations readers can see at `now`
    /// (what its public page shows).
    pub fn release_with_translations(
        &self,
        slug: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Release>> {
        let conn = self.conn()?;
        let tx = conn.begin_read()?;
        let mut found = find_by_slug(&tx, slug)?;
        if let Some(r) = found.as_mut() {
            attach_translations(&tx, std::slice::from_mut(r), now)?;
        }
        Ok(found)
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
        slug_is_locked(&self.conn()?, id, now)
    }

    /// The id of the release using `slug`, if any.
    pub fn release_id_by_slug(&self, slug: &str) -> Result<Option<i64>> {
        Ok(slug_owner(&self.conn()?, slug)?)
    }

    pub fn count_releases(&self) -> Result<i64> {
        Ok(self
            .conn()?
            .query_row("SELECT count(*) FROM releases", [], |r| r.get(0))?)
    }
}

/// An empty store in a temporary directory (kept while the first value
/// lives), and the instant the store's tests call now.
#[cfg(test)]
pub(super) fn test_store() -> (tempfile::TempDir, Store, DateTime<Utc>) {
    use chrono::TimeZone;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(&dir.path().join("s.db"), 1).expect("a new store");
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    (dir, store, now)
}

/// A valid release for the store's tests: `status` at `at`, in topic `t`.
#[cfg(test)]
fn test_draft(slug: &str, status: &str, at: DateTime<Utc>) -> crate::domain::ReleaseDraft {
    crate::domain::ReleaseInput {
        slug: slug.into(),
        title: slug.into(),
        body_html: "<p>x</p>".into(),
        organization: "O".into(),
        lang: "en".into(),
        published_at: at.to_rfc3339(),
        topics: vec!["t".into()],
        status: Some(status.into()),
        ..Default::default()
    }
    .validate()
    .expect("a valid test release")
}

#[cfg(test)]
mod topic_tests {
    use super::*;

    /// The scan over the span of ids and the lookup per release give each
    /// release its own topics in their order, and none to one without.
    #[test]
    fn both_ways_of_attaching_topics_agree() {
        let (_dir, store, now) = test_store();
        let drafts: Vec<_> = (0..6)
            .map(|i| {
                let topics = match i {
                    0 => vec!["b".into(), "a".into()],
                    2 => vec!["c".into(), "a".into(), "b".into()],
                    4 => vec![],
                    _ => vec!["a".into()],
                };
                crate::domain::ReleaseInput {
                    slug: format!("r{i}"),
                    title: format!("R{i}"),
                    body_html: "<p>x</p>".into(),
                    organization: "O".into(),
                    lang: "en".into(),
                    published_at: now.to_rfc3339(),
                    topics,
                    status: Some(if i == 4 { "draft" } else { "published" }.into()),
                    ..Default::default()
                }
                .validate()
                .unwrap()
            })
            .collect();
        store
            .save_releases(&drafts, now, "e.org", &mut |_| {})
            .unwrap();
        let conn = store.conn().unwrap();
        let read = |scan_from| {
            let mut items: Vec<Release> = (0..6)
                .filter(|i| *i != 3)
                .map(|i| find_by_slug(&conn, &format!("r{i}")).unwrap().unwrap())
                .collect();
            for r in &mut items {
                r.topics.clear();
            }
            attach_topics_from(&conn, &mut items, scan_from).unwrap();
            items
                .into_iter()
                .map(|r| (r.slug, r.topics.into_iter().map(|t| t.slug).collect()))
                .collect::<Vec<(String, Vec<String>)>>()
        };
        let scanned = read(1);
        assert_eq!(scanned, read(usize::MAX));
        assert_eq!(scanned[0].1, ["b", "a"]);
        assert_eq!(scanned[2].1, ["c", "a", "b"]);
        assert!(scanned[3].1.is_empty(), "{scanned:?}");
    }
}
