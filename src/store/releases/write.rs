//! Writing releases: import and API saves (by slug), the newsroom's saves
//! (by id, with inline topics), retraction and restoring. Every write
//! records the feeds it changes (`scopes.rs`), which drives `Last-Modified`.

use super::super::scopes::ChangedScopes;
use super::super::topics::{NewTopic, ensure_topics, list_topics, topic_id_or_create};
use super::super::{Conflict, Result, Store, StoreError, from_ms, to_ms};
use super::translations;
use super::{
    feeds_of_release_change, find_by_id, find_by_slug, remember_if_public,
    schedule_of_release_changes, slug_is_locked, slug_owner,
};
use crate::domain::{Lifecycle, ReleaseDraft, State, Status};
use crate::model::{Release, SaveOutcome};
use crate::store::db::{self, Conn, OptionalExtension, params};
use chrono::{DateTime, Utc};

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
        && existing.notes_to_editors == draft.notes_to_editors
        && existing.media_contacts == draft.media_contacts
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
/// Returns what it did, and whether readers' view of the release changed
/// (it appeared, left, or changed language), which its translations' feed
/// entries show. A release it wrote is added to `to_index`: the caller
/// brings the search index in step (`search::index_releases`), for a
/// whole batch at once.
pub(super) fn save_one(
    conn: &Conn,
    draft: &ReleaseDraft,
    now: DateTime<Utc>,
    authority: &str,
    scopes: &mut ChangedScopes,
    to_index: &mut Vec<i64>,
) -> Result<(SaveOutcome, bool)> {
    let now_ms = to_ms(now);
    let published_ms = to_ms(draft.published_at);
    let updated_at = draft.updated_at.unwrap_or(draft.published_at);
    let existing = find_by_slug(conn, draft.slug.as_str())?;
    if let (Some(e), Some(uid)) = (&existing, &draft.uid)
        && &e.uid != uid
    {
        return Err(Conflict::IdChanged {
            given: uid.clone(),
            stored: e.uid.clone(),
            slug: e.slug.clone(),
        }
        .into());
    }
    if let Some(e) = &existing
        && same_content(e, draft, updated_at)
        && super::super::media::stored_refs(conn, e.id)? == draft.attachments
    {
        return Ok((SaveOutcome::Unchanged, false));
    }
    let visible = draft.lifecycle().is_public(now);
    let was_public = existing
        .as_ref()
        .is_some_and(|e| e.state(now) == State::Public);
    let seen_changed = was_public != visible
        || (visible
            && existing
                .as_ref()
                .is_some_and(|e| e.lang != draft.lang.as_str()));
    let topic_ids = ensure_topics(conn, &draft.topics, visible, now_ms, scopes)?;
    if let Some(e) = &existing
        && e.state(now) == State::Public
    {
        feeds_of_release_change(conn, e.id, now_ms, scopes)?;
    }
    if visible {
        list_topics(conn, &topic_ids, now_ms, scopes)?;
        scopes.release_parts(conn, &topic_ids, published_ms, draft.lang.as_str(), now_ms)?;
    }
    // Scheduled before or after: the feeds' next change moves.
    if let Some(e) = &existing
        && e.state(now) == State::Scheduled
    {
        schedule_of_release_changes(conn, e.id, scopes)?;
    }
    if draft.lifecycle().state(now) == State::Scheduled {
        scopes.schedule_parts(&topic_ids, published_ms, draft.lang.as_str());
    }
    let updated_ms = to_ms(updated_at);
    // ?3 to ?15 of both statements below (?1 and ?2 name the row).
    let (title, lang, status) = (
        draft.title.as_str(),
        draft.lang.as_str(),
        draft.status.as_str(),
    );
    let content = params![
        title,
        draft.summary,
        draft.body_html,
        draft.organization,
        draft.department,
        draft.dateline,
        lang,
        status,
        published_ms,
        updated_ms,
        now_ms,
        draft.correction_note,
        draft.retraction_note,
    ];
    let row_and_content = |id: db::Value<'static>, slug: &str| {
        let mut all = vec![id, db::Value::Text(slug.to_owned().into())];
        all.extend(content.iter().cloned());
        all
    };
    let (release_id, outcome) = match &existing {
        Some(e) => {
            if e.status != draft.status || e.published_at != draft.published_at {
                remember_if_public(conn, e.id, now)?;
            }
            conn.prepare_cached(
                "UPDATE releases SET title = ?3, summary = ?4, body_html = ?5, organization = ?6, \
                 department = ?7, dateline = ?8, lang = ?9, status = ?10, published_at = ?11, \
                 updated_at = ?12, changed_at = greatest(changed_at + 1, ?13), correction_note = ?14, \
                 retraction_note = ?15, \
                 retracted_at = CASE WHEN ?10 = 'retracted' THEN coalesce(retracted_at, ?13) END \
                 WHERE id = ?1 AND slug = ?2",
            )?
            .execute(row_and_content(db::Value::Int(e.id), draft.slug.as_str()))?;
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
                return Err(Conflict::IdTaken(uid).into());
            }
            let id: i64 = conn
                .prepare_cached(
                    "INSERT INTO releases (uid, slug, title, summary, body_html, organization, \
                 department, dateline, lang, status, published_at, updated_at, created_at, \
                 changed_at, correction_note, retraction_note, retracted_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, \
                 CASE WHEN ?10 = 'retracted' THEN CAST(?13 AS BIGINT) END) RETURNING id",
                )?
                .query_row(
                    row_and_content(db::Value::Text(uid.clone().into()), draft.slug.as_str()),
                    |r| r.get(0),
                )?;
            (id, SaveOutcome::Created)
        }
    };
    let mut link = conn.prepare_cached(
        "INSERT INTO release_topics (release_id, topic_id, position) VALUES (?1, ?2, ?3)",
    )?;
    for (pos, topic_id) in topic_ids.iter().enumerate() {
        link.execute(params![release_id, topic_id, pos as i64])?;
    }
    super::super::media::set_attachments(conn, release_id, &draft.attachments)?;
    super::super::furniture::set_furniture(
        conn,
        release_id,
        &draft.media_contacts,
        draft.notes_to_editors.as_deref(),
    )?;
    if let Some(source) = &draft.body_source {
        conn.prepare_cached("UPDATE releases SET body_source = ?2 WHERE id = ?1")?
            .execute(params![release_id, source])?;
    }
    to_index.push(release_id);
    Ok((outcome, seen_changed))
}

/// Saves one release and its place among translations (`save_one`, then
/// `translations::link`), taking over its original's topics when it has none.
fn save_linked(
    conn: &Conn,
    draft: &ReleaseDraft,
    now: DateTime<Utc>,
    authority: &str,
    scopes: &mut ChangedScopes,
) -> Result<SaveOutcome> {
    let draft = translations::with_inherited_topics(conn, draft, &Default::default())?;
    let mut to_index = Vec::new();
    let (outcome, seen_changed) = save_one(conn, &draft, now, authority, scopes, &mut to_index)?;
    super::super::search::index_releases(conn, &to_index)?;
    let linked = translations::link(conn, &draft, seen_changed, now, scopes)?;
    Ok(match outcome {
        SaveOutcome::Unchanged if linked => SaveOutcome::Updated,
        other => other,
    })
}

/// Cache for a batch of releases (KiB per release): a release's row, its
/// index entries and its share of the search index, about 4 KB.
const BULK_CACHE_KIB_PER_RELEASE: i64 = 4;
/// At most this much cache (KiB) for one batch.
const BULK_CACHE_MAX_KIB: i64 = 512 * 1024;

/// [`Store::save_releases`] on `conn`.
fn save_batch(
    conn: &Conn,
    drafts: &[ReleaseDraft],
    now: DateTime<Utc>,
    authority: &str,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<SaveOutcome>> {
    let tx = conn.begin_write()?;
    let bulk = super::super::search::BulkIndex::begin(&tx, drafts.len())?;
    let mut outcomes = Vec::with_capacity(drafts.len());
    let mut scopes = ChangedScopes::default();
    let in_batch = |index: usize| {
        move |e: StoreError| StoreError::InBatch {
            index,
            source: Box::new(e),
        }
    };
    let mut seen = Vec::with_capacity(drafts.len());
    let mut to_index = Vec::with_capacity(drafts.len());
    let batch = translations::Batch::of(drafts);
    for (index, draft) in drafts.iter().enumerate() {
        let draft =
            translations::with_inherited_topics(&tx, draft, &batch).map_err(in_batch(index))?;
        let (outcome, seen_changed) =
            save_one(&tx, &draft, now, authority, &mut scopes, &mut to_index)
                .map_err(in_batch(index))?;
        outcomes.push(outcome);
        seen.push(seen_changed);
        if index % 1000 == 999 {
            progress(index + 1);
        }
    }
    // Links after every release is stored: a translation may come
    // before its original in the file.
    for (index, draft) in drafts.iter().enumerate() {
        if translations::link(&tx, draft, seen[index], now, &mut scopes).map_err(in_batch(index))?
            && outcomes[index] == SaveOutcome::Unchanged
        {
            outcomes[index] = SaveOutcome::Updated;
        }
    }
    super::super::search::index_releases(&tx, &to_index)?;
    scopes.apply(&tx, to_ms(now))?;
    bulk.end(&tx)?;
    tx.commit()?;
    progress(drafts.len());
    Ok(outcomes)
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
        let conn = self.conn()?;
        // A large batch writes far more pages than the connection's cache
        // (SQLite's default, 2 MB) holds: the cache would spill dirty pages
        // to the WAL mid-transaction, write many of them again and again,
        // and read them back through the WAL's index. A cache sized to the
        // batch keeps them in memory until the commit; the connection
        // returns to the pool with its cache as it was.
        let Some(sqlite) = conn.sqlite() else {
            return save_batch(&conn, drafts, now, authority, progress);
        };
        let previous: i64 = sqlite.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        let wanted_kib = i64::try_from(drafts.len())
            .unwrap_or(i64::MAX)
            .saturating_mul(BULK_CACHE_KIB_PER_RELEASE)
            .min(BULK_CACHE_MAX_KIB);
        let bigger = previous < 0 && wanted_kib > -previous;
        if bigger {
            sqlite.pragma_update(None, "cache_size", -wanted_kib)?;
        }
        let saved = save_batch(&conn, drafts, now, authority, progress);
        if bigger {
            if let Some(sqlite) = conn.sqlite() {
                sqlite.pragma_update(None, "cache_size", previous)?;
            }
        }
        saved
    }

    /// Saves one release (create or update by slug).
    pub fn save_release(
        &self,
        draft: &ReleaseDraft,
        now: DateTime<Utc>,
        authority: &str,
    ) -> Result<SaveOutcome> {
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        let mut scopes = ChangedScopes::default();
        let outcome = save_linked(&tx, draft, now, authority, &mut scopes)?;
        scopes.apply(&tx, to_ms(now))?;
        tx.commit()?;
        Ok(outcome)
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
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        let now_ms = to_ms(now);
        let mut scopes = ChangedScopes::default();
        for t in new_topics {
            let visible = draft.lifecycle().is_public(now);
            topic_id_or_create(
                &tx,
                &t.slug,
                || t.name.clone(),
                visible,
                now_ms,
                &mut scopes,
            )?;
        }
        let owner = slug_owner(&tx, draft.slug.as_str())?;
        match existing_id {
            None => {
                if owner.is_some() {
                    return Err(Conflict::SlugTaken(draft.slug.to_string()).into());
                }
            }
            Some(id) => {
                let Some(existing) = find_by_id(&tx, id)? else {
                    return Err(Conflict::NoSuchRelease(id).into());
                };
                if existing.slug != draft.slug.as_str() {
                    if owner.is_some() {
                        return Err(Conflict::SlugTaken(draft.slug.to_string()).into());
                    }
                    if slug_is_locked(&tx, id, now)? {
                        return Err(Conflict::SlugLocked(existing.slug).into());
                    }
                    tx.prepare_cached("UPDATE releases SET slug = ?2 WHERE id = ?1")?
                        .execute(params![id, draft.slug.as_str()])?;
                }
            }
        }
        let outcome = save_linked(&tx, draft, now, authority, &mut scopes)?;
        let id = slug_owner(&tx, draft.slug.as_str())?.ok_or(db::Error::NoRows)?;
        tx.prepare_cached(
            "UPDATE releases SET body_source = ?2 WHERE id = ?1 AND body_source IS DISTINCT FROM ?2",
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
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        let now_ms = to_ms(now);
        remember_if_public(&tx, id, now)?;
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
            if public(before) != public(status) {
                translations::feeds_of_set_change(&tx, id, now, &mut scopes)?;
            }
        } else if before == Status::Published || status == Status::Published {
            // Scheduled for later before or after: only the next change moves.
            schedule_of_release_changes(&tx, id, &mut scopes)?;
        }
        tx.prepare_cached(
            "UPDATE releases SET status = ?2, retraction_note = ?3, \
             changed_at = greatest(changed_at + 1, ?4), \
             retracted_at = CASE WHEN ?2 = 'retracted' THEN coalesce(retracted_at, ?4) END \
             WHERE id = ?1",
        )?
        .execute(params![id, status.as_str(), retraction_note, now_ms])?;
        super::super::search::index_release(&tx, id)?;
        scopes.apply(&tx, now_ms)?;
        tx.commit()?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_draft as draft;
    use super::*;
    use crate::domain::Slug;

    /// Refusals come back as typed conflicts, so the service can name the
    /// field without reading the message.
    #[test]
    fn refused_writes_say_which_conflict_as_a_variant() {
        let (_dir, store, now) = super::super::test_store();
        let (id, _) = store
            .save_newsroom_release(None, &draft("a", "published", now), &[], now, "example.org")
            .unwrap();
        store
            .save_newsroom_release(None, &draft("b", "draft", now), &[], now, "example.org")
            .unwrap();
        let conflict = |r: Result<(i64, SaveOutcome)>| match r {
            Err(StoreError::Conflict(c)) => c,
            other => panic!("expected a conflict, got {other:?}"),
        };
        let taken = store.save_newsroom_release(None, &draft("b", "draft", now), &[], now, "x");
        assert_eq!(conflict(taken), Conflict::SlugTaken("b".into()));
        let renamed = draft("a-2", "published", now);
        let locked = store.save_newsroom_release(Some(id), &renamed, &[], now, "x");
        assert_eq!(conflict(locked), Conflict::SlugLocked("a".into()));
        let gone = store.save_newsroom_release(Some(id + 100), &renamed, &[], now, "x");
        assert_eq!(conflict(gone), Conflict::NoSuchRelease(id + 100));
        let t = Slug::parse("t").unwrap();
        match store.create_topic(&t, "T", None, now) {
            Err(StoreError::Conflict(c)) => assert_eq!(c, Conflict::TopicTaken("t".into())),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
}
