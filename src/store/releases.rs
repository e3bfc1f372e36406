use super::scopes::ChangedScopes;
use super::{Result, Store, StoreError, from_ms, to_ms};
use crate::domain::{ReleaseDraft, ReleaseInput, State, Status};
use crate::model::{Release, SaveOutcome, TopicRef};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

pub(super) const RELEASE_COLUMNS: &str = "r.id, r.uid, r.slug, r.title, r.summary, r.body_html, \
     r.organization, r.department, r.dateline, r.lang, r.status, r.published_at, r.updated_at, \
     r.created_at, r.changed_at, r.correction_note, r.retraction_note";

pub(super) const TOPICS_OF_RELEASE_SQL: &str = "SELECT t.slug, t.name FROM release_topics rt \
     JOIN topics t ON t.id = rt.topic_id WHERE rt.release_id = ?1 ORDER BY rt.position";

/// A release from `SELECT {RELEASE_COLUMNS}, r.body_source`.
fn release_with_source(row: &Row<'_>) -> rusqlite::Result<Release> {
    let mut r = release_from_row(row)?;
    r.body_source = row.get(17)?;
    Ok(r)
}

pub(super) fn release_from_row(row: &Row<'_>) -> rusqlite::Result<Release> {
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
    })
}

/// Fills in each release's topics, in the order they were given.
pub(super) fn attach_topics(conn: &Connection, releases: &mut [Release]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(TOPICS_OF_RELEASE_SQL)?;
    for r in releases.iter_mut() {
        r.topics = stmt
            .query_map([r.id], |row| {
                Ok(TopicRef {
                    slug: row.get(0)?,
                    name: row.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(())
}

/// One release (with its topics) by a unique column.
pub(super) fn find_release_where(
    conn: &Connection,
    condition: &str,
    value: &dyn rusqlite::ToSql,
) -> rusqlite::Result<Option<Release>> {
    let sql = format!("SELECT {RELEASE_COLUMNS}, r.body_source FROM releases r WHERE {condition}");
    let found = conn
        .prepare_cached(&sql)?
        .query_row([value], release_with_source)
        .optional()?;
    Ok(match found {
        Some(mut r) => {
            attach_topics(conn, std::slice::from_mut(&mut r))?;
            Some(r)
        }
        None => None,
    })
}

pub(super) fn find_by_slug(conn: &Connection, slug: &str) -> rusqlite::Result<Option<Release>> {
    find_release_where(conn, "r.slug = ?1", &slug)
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

/// Ids of the named topics, creating any that do not exist yet.
fn ensure_topics(
    conn: &Connection,
    slugs: &[crate::domain::Slug],
    now: i64,
    scopes: &mut ChangedScopes,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let id: Option<i64> = conn
            .prepare_cached("SELECT id FROM topics WHERE slug = ?1")?
            .query_row([slug.as_str()], |r| r.get(0))
            .optional()?;
        let id = match id {
            Some(id) => id,
            None => {
                conn.prepare_cached(
                    "INSERT INTO topics (slug, name, created_at, changed_at) VALUES (?1, ?2, ?3, ?3)",
                )?
                .execute(params![slug.as_str(), name_from_slug(slug.as_str()), now])?;
                let id = conn.last_insert_rowid();
                scopes.created_topic(conn, id)?;
                id
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Records that the feeds showing release `release_id` change: the global
/// feeds and those of the topics it is in now (call before changing it).
pub(super) fn feeds_of_release_change(
    conn: &Connection,
    release_id: i64,
    now: i64,
    scopes: &mut ChangedScopes,
) -> Result<()> {
    scopes.global(conn, now)?;
    let topic_ids = conn
        .prepare_cached("SELECT topic_id FROM release_topics WHERE release_id = ?1")?
        .query_map([release_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    for id in topic_ids {
        scopes.topic(conn, id, now)?;
    }
    Ok(())
}

fn mint_uid(authority: &str, now: DateTime<Utc>) -> String {
    format!(
        "tag:{authority},{}:release/{:016x}",
        now.format("%Y-%m-%d"),
        rand::random::<u64>()
    )
}

/// Whether storing `draft` over `existing` would change anything.
fn same_content(existing: &Release, draft: &ReleaseDraft, updated_at: DateTime<Utc>) -> bool {
    existing.title == draft.title.as_str()
        && existing.summary == draft.summary
        && existing.body_html == draft.body_html
        && existing.organization == draft.organization
        && existing.department == draft.department
        && existing.dateline == draft.dateline
        && existing.lang == draft.lang.as_str()
        && existing.status == draft.status
        && existing.published_at == draft.published_at
        && existing.updated_at == updated_at
        && existing.correction_note == draft.correction_note
        && existing.retraction_note == draft.retraction_note
        && (draft.body_source.is_none() || existing.body_source == draft.body_source)
        && existing
            .topics
            .iter()
            .map(|t| t.slug.as_str())
            .eq(draft.topics.iter().map(|t| t.as_str()))
}

/// Creates or updates (by slug) one release inside the caller's
/// transaction, recording in `scopes` the feeds it changes: those it is
/// visible in before or after the write. A draft or a release scheduled
/// for later changes none.
pub(super) fn save_one(
    conn: &Connection,
    draft: &ReleaseDraft,
    now: DateTime<Utc>,
    authority: &str,
    scopes: &mut ChangedScopes,
) -> Result<SaveOutcome> {
    let now_ms = to_ms(now);
    let published_ms = to_ms(draft.published_at);
    let updated_at = draft.updated_at.unwrap_or(draft.published_at);
    let existing = find_by_slug(conn, draft.slug.as_str())?;
    if let (Some(e), Some(uid)) = (&existing, &draft.uid)
        && &e.uid != uid
    {
        return Err(StoreError::IdConflict(format!(
            "id {uid:?} differs from the stored id {:?} of release {:?}; ids never change",
            e.uid, e.slug
        )));
    }
    if let Some(e) = &existing
        && same_content(e, draft, updated_at)
    {
        return Ok(SaveOutcome::Unchanged);
    }
    let topic_ids = ensure_topics(conn, &draft.topics, now_ms, scopes)?;
    if let Some(e) = &existing
        && e.state(now) == State::Public
    {
        feeds_of_release_change(conn, e.id, now_ms, scopes)?;
    }
    if draft.lifecycle().is_public(now) {
        scopes.global(conn, now_ms)?;
        for id in &topic_ids {
            scopes.topic(conn, *id, now_ms)?;
        }
    }
    let (release_id, outcome) = match &existing {
        Some(e) => {
            if e.status != draft.status || e.published_at != draft.published_at {
                remember_if_public(conn, e.id, now_ms)?;
            }
            conn.prepare_cached(
                "UPDATE releases SET title = ?2, summary = ?3, body_html = ?4, organization = ?5, \
                 department = ?6, dateline = ?7, lang = ?8, status = ?9, published_at = ?10, \
                 updated_at = ?11, changed_at = max(changed_at + 1, ?12), correction_note = ?13, \
                 retraction_note = ?14, \
                 retracted_at = CASE WHEN ?9 = 'retracted' THEN coalesce(retracted_at, ?12) END \
                 WHERE id = ?1",
            )?
            .execute(params![
                e.id,
                draft.title.as_str(),
                draft.summary,
                draft.body_html,
                draft.organization,
                draft.department,
                draft.dateline,
                draft.lang.as_str(),
                draft.status.as_str(),
                published_ms,
                to_ms(updated_at),
                now_ms,
                draft.correction_note,
                draft.retraction_note,
            ])?;
            conn.prepare_cached("DELETE FROM release_topics WHERE release_id = ?1")?
                .execute([e.id])?;
            (e.id, SaveOutcome::Updated)
        }
        None => {
            let uid = draft
                .uid
                .clone()
                .unwrap_or_else(|| mint_uid(authority, now));
            let taken: bool = conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM releases WHERE uid = ?1)")?
                .query_row([&uid], |r| r.get(0))?;
            if taken {
                return Err(StoreError::IdConflict(format!(
                    "id {uid:?} already belongs to another release"
                )));
            }
            conn.prepare_cached(
                "INSERT INTO releases (uid, slug, title, summary, body_html, organization, \
                 department, dateline, lang, status, published_at, updated_at, created_at, \
                 changed_at, correction_note, retraction_note, retracted_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, \
                 CASE WHEN ?10 = 'retracted' THEN ?13 END)",
            )?
            .execute(params![
                uid,
                draft.slug.as_str(),
                draft.title.as_str(),
                draft.summary,
                draft.body_html,
                draft.organization,
                draft.department,
                draft.dateline,
                draft.lang.as_str(),
                draft.status.as_str(),
                published_ms,
                to_ms(updated_at),
                now_ms,
                draft.correction_note,
                draft.retraction_note,
            ])?;
            (conn.last_insert_rowid(), SaveOutcome::Created)
        }
    };
    let mut link = conn.prepare_cached(
        "INSERT INTO release_topics (release_id, topic_id, position) VALUES (?1, ?2, ?3)",
    )?;
    for (pos, topic_id) in topic_ids.iter().enumerate() {
        link.execute(params![release_id, topic_id, pos as i64])?;
    }
    if let Some(source) = &draft.body_source {
        conn.prepare_cached("UPDATE releases SET body_source = ?2 WHERE id = ?1")?
            .execute(params![release_id, source])?;
    }
    Ok(outcome)
}

/// The SQL for `Lifecycle::state(now) == state` over `releases r`, and
/// whether it takes the time (in ms) as its one parameter. The filters of
/// the admin list and the API; a test checks them against the rule.
pub(super) fn state_clause(state: State) -> (&'static str, bool) {
    match state {
        State::Draft => ("r.status = 'draft'", false),
        State::Retracted => ("r.status = 'retracted'", false),
        State::Scheduled => ("r.status = 'published' AND r.published_at > ?", true),
        State::Public => ("r.status = 'published' AND r.published_at <= ?", true),
    }
}

/// Before a write changes a release's status or time: if readers can see
/// it now, its address is fixed from here on. Visibility comes with time,
/// not with a write, so it is noted at the first write that could end it.
pub(super) fn remember_if_public(conn: &Connection, id: i64, now_ms: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE releases SET slug_locked = 1 WHERE id = ?1 AND slug_locked = 0 \
         AND (status = 'retracted' OR (status = 'published' AND published_at <= ?2))",
    )?
    .execute(params![id, now_ms])?;
    Ok(())
}

/// Whether a release's address is fixed: it is once readers could have
/// seen the release (or it was retracted); a scheduled release's address
/// can change until its time comes.
pub(super) fn slug_is_locked(conn: &Connection, id: i64, now_ms: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT slug_locked = 1 OR status = 'retracted' \
             OR (status = 'published' AND published_at <= ?2) FROM releases WHERE id = ?1",
        )?
        .query_row(params![id, now_ms], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

impl Store {
    /// Saves every draft in one transaction: all or nothing.
    /// `progress` is called with the number saved so far.
    pub fn save_releases(
        &self,
        drafts: &[ReleaseDraft],
        now: DateTime<Utc>,
        authority: &str,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<SaveOutcome>> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(drafts.len());
        let mut scopes = ChangedScopes::default();
        for (index, draft) in drafts.iter().enumerate() {
            let outcome = save_one(&tx, draft, now, authority, &mut scopes).map_err(|e| {
                StoreError::InBatch {
                    index,
                    source: Box::new(e),
                }
            })?;
            outcomes.push(outcome);
            if index % 1000 == 999 {
                progress(index + 1);
            }
        }
        scopes.apply(&tx, to_ms(now))?;
        tx.commit()?;
        progress(drafts.len());
        Ok(outcomes)
    }

    /// Saves one release (create or update by slug).
    pub fn save_release(
        &self,
        draft: &ReleaseDraft,
        now: DateTime<Utc>,
        authority: &str,
    ) -> Result<SaveOutcome> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut scopes = ChangedScopes::default();
        let outcome = save_one(&tx, draft, now, authority, &mut scopes)?;
        scopes.apply(&tx, to_ms(now))?;
        tx.commit()?;
        Ok(outcome)
    }

    pub fn release_by_slug(&self, slug: &str) -> Result<Option<Release>> {
        Ok(find_by_slug(&*self.conn()?, slug)?)
    }

    pub fn count_releases(&self) -> Result<i64> {
        Ok(self
            .conn()?
            .query_row("SELECT count(*) FROM releases", [], |r| r.get(0))?)
    }

    /// Every release in the import format, oldest first, one at a time.
    pub fn export(
        &self,
        out: &mut dyn FnMut(ReleaseInput) -> std::io::Result<()>,
    ) -> Result<usize> {
        let conn = self.conn()?;
        let tx = conn.unchecked_transaction()?;
        let sql = format!(
            "SELECT {RELEASE_COLUMNS}, r.body_source FROM releases r ORDER BY r.published_at, r.id"
        );
        let mut stmt = tx.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            let mut r = release_with_source(row)?;
            attach_topics(&tx, std::slice::from_mut(&mut r))?;
            let input = r.into_input();
            out(input).map_err(|source| StoreError::Io {
                path: "<export output>".into(),
                source,
            })?;
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ReleaseFilter;
    use chrono::TimeZone;

    /// The list filters are the lifecycle rule in SQL: for every state, the
    /// store lists exactly the releases whose `state(now)` is that state.
    #[test]
    fn each_state_filter_lists_exactly_the_releases_in_that_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db"), 1).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
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
            let input = ReleaseInput {
                slug: slug.into(),
                title: slug.into(),
                body_html: "<p>x</p>".into(),
                organization: "O".into(),
                lang: "en".into(),
                published_at: at.to_rfc3339(),
                topics: vec!["t".into()],
                status: Some(status.into()),
                ..Default::default()
            };
            let draft = input.validate().unwrap();
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
    }
}
