//! Translation groups: a release may name the release it translates
//! (`translation_of`); the links join releases into one set, whatever
//! their direction (A→B and C→A make {A, B, C}), stored as
//! `translation_group` so pages and feeds read a set with one index probe.
//! A set holds one release per language; links never form a cycle.
//! Retracting one member changes no other member's status.

use super::super::scopes::ChangedScopes;
use super::super::{Conflict, Result, from_ms};
use super::{feeds_of_release_change, schedule_of_release_changes, slug_owner};
use crate::domain::{Lifecycle, ReleaseDraft, State, Status};
use crate::model::{Release, Translation};
use crate::store::db::{self, Conn, OptionalExtension, params};
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Links longer than this are not followed looking for a cycle (a set has
/// one release per language, so real chains are short).
const MAX_CHAIN: usize = 1000;

/// The draft with its original's topics when it names an original and no
/// topics of its own. The original is looked up in `batch` first (an import
/// may carry both), then in the store; an unknown one is reported when the
/// link is made.
pub(super) fn with_inherited_topics<'a>(
    conn: &Conn,
    draft: &'a ReleaseDraft,
    batch: &Batch<'_>,
) -> Result<Cow<'a, ReleaseDraft>> {
    let Some(original) = draft.translation_of.as_ref() else {
        return Ok(Cow::Borrowed(draft));
    };
    if !draft.topics.is_empty() {
        return Ok(Cow::Borrowed(draft));
    }
    let topics = match batch.0.get(original.as_str()) {
        Some(d) => d.topics.clone(),
        None => conn
            .prepare_cached(
                "SELECT t.slug FROM releases r JOIN release_topics rt ON rt.release_id = r.id \
                 JOIN topics t ON t.id = rt.topic_id WHERE r.slug = ?1 ORDER BY rt.position",
            )?
            .query_map([original.as_str()], |r| r.get::<_, String>(0))?
            .filter_map(|s| s.map(|s| crate::domain::Slug::parse(&s).ok()).transpose())
            .collect::<db::Result<Vec<_>>>()?,
    };
    if topics.is_empty() {
        return Ok(Cow::Borrowed(draft));
    }
    let mut inherited = draft.clone();
    inherited.topics = topics;
    Ok(Cow::Owned(inherited))
}

/// The releases of one import by slug, where a translation looks for its
/// original's topics before the store.
#[derive(Default)]
pub(super) struct Batch<'a>(HashMap<&'a str, &'a ReleaseDraft>);

impl<'a> Batch<'a> {
    /// Indexed only when some release names an original.
    pub(super) fn of(drafts: &'a [ReleaseDraft]) -> Self {
        if drafts.iter().all(|d| d.translation_of.is_none()) {
            return Self::default();
        }
        Self(drafts.iter().map(|d| (d.slug.as_str(), d)).collect())
    }
}

struct Member {
    slug: String,
    lang: String,
    link: Option<i64>,
    group: Option<i64>,
    lifecycle: Lifecycle,
}

fn member(conn: &Conn, id: i64) -> Result<Option<Member>> {
    Ok(conn
        .prepare_cached(
            "SELECT slug, lang, translation_of, translation_group, status, published_at \
             FROM releases WHERE id = ?1",
        )?
        .query_row([id], |r| {
            let status: String = r.get(4)?;
            Ok(Member {
                slug: r.get(0)?,
                lang: r.get(1)?,
                link: r.get(2)?,
                group: r.get(3)?,
                lifecycle: Lifecycle {
                    status: Status::parse(&status).unwrap_or(Status::Draft),
                    published_at: from_ms(r.get(5)?),
                },
            })
        })
        .optional()?)
}

fn group_members(conn: &Conn, group: Option<i64>) -> Result<Vec<i64>> {
    let Some(group) = group else {
        return Ok(Vec::new());
    };
    Ok(conn
        .prepare_cached("SELECT id FROM releases WHERE translation_group = ?1")?
        .query_map([group], |r| r.get(0))?
        .collect::<db::Result<_>>()?)
}

/// Stores `draft.translation_of` for the saved release `draft.slug` and
/// brings the sets it touches up to date; refuses an unknown original, a
/// cycle, and two releases of one language in a set. Records in `scopes`
/// the feeds whose entries link the set's members (their `hreflang` links
/// change). `seen_changed`: the write made the release appear to readers,
/// disappear, or change language. Returns whether the links or sets
/// changed. Call after the release row is written, in the same transaction.
pub(super) fn link(
    conn: &Conn,
    draft: &ReleaseDraft,
    seen_changed: bool,
    now: DateTime<Utc>,
    scopes: &mut ChangedScopes,
) -> Result<bool> {
    let slug = draft.slug.as_str();
    let id = slug_owner(conn, slug)?.ok_or(db::Error::NoRows)?;
    let me = member(conn, id)?.ok_or(db::Error::NoRows)?;
    let target = match &draft.translation_of {
        None => None,
        Some(of) => {
            Some(
                slug_owner(conn, of.as_str())?.ok_or_else(|| Conflict::UnknownOriginal {
                    slug: slug.to_owned(),
                    of: of.to_string(),
                })?,
            )
        }
    };
    if target == Some(id) {
        return Err(Conflict::TranslationOfItself(slug.to_owned()).into());
    }
    if me.link == target && me.group.is_none() && target.is_none() {
        return Ok(false);
    }
    // A cycle: the chain of originals from the new original comes back here.
    let mut cursor = target;
    let mut steps = 0;
    while let Some(at) = cursor {
        if at == id {
            let of = draft.translation_of.as_ref().map(ToString::to_string);
            return Err(Conflict::TranslationCycle {
                slug: slug.to_owned(),
                of: of.unwrap_or_default(),
            }
            .into());
        }
        steps += 1;
        if steps > MAX_CHAIN {
            break;
        }
        cursor = member(conn, at)?.and_then(|m| m.link);
    }
    let link_changed = me.link != target;
    if link_changed {
        conn.prepare_cached("UPDATE releases SET translation_of = ?2 WHERE id = ?1")?
            .execute(params![id, target])?;
    }
    // Every release whose set may change: this one's old set, and the
    // original's set. Links only ever join members of these.
    let mut ids: BTreeSet<i64> = group_members(conn, me.group)?.into_iter().collect();
    ids.insert(id);
    if let Some(t) = target {
        ids.insert(t);
        let group = member(conn, t)?.and_then(|m| m.group);
        ids.extend(group_members(conn, group)?);
    }
    let mut members: BTreeMap<i64, Member> = BTreeMap::new();
    for &m in &ids {
        if let Some(found) = member(conn, m)? {
            members.insert(m, found);
        }
    }
    // Sets are the connected parts of the links; each is named by its
    // smallest id (a release alone has none).
    let mut root: BTreeMap<i64, i64> = members.keys().map(|&m| (m, m)).collect();
    fn find(root: &mut BTreeMap<i64, i64>, m: i64) -> i64 {
        let mut at = m;
        while root[&at] != at {
            at = root[&at];
        }
        root.insert(m, at);
        at
    }
    let links: Vec<(i64, i64)> = members
        .iter()
        .filter_map(|(&m, v)| v.link.filter(|l| members.contains_key(l)).map(|l| (m, l)))
        .collect();
    for (a, b) in links {
        let (ra, rb) = (find(&mut root, a), find(&mut root, b));
        if ra != rb {
            root.insert(ra.max(rb), ra.min(rb));
        }
    }
    let mut sets: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for &m in members.keys() {
        let r = find(&mut root, m);
        sets.entry(r).or_default().push(m);
    }
    let mut regrouped = false;
    let mut set_group = conn.prepare_cached(
        "UPDATE releases SET translation_group = ?2 WHERE id = ?1 AND translation_group IS DISTINCT FROM ?2",
    )?;
    for (name, set) in &sets {
        let mut langs: BTreeMap<&str, &str> = BTreeMap::new();
        for m in set {
            let v = &members[m];
            if let Some(other) = langs.insert(v.lang.as_str(), v.slug.as_str()) {
                let (mine, theirs) = if v.slug == slug {
                    (v.slug.as_str(), other)
                } else {
                    (other, v.slug.as_str())
                };
                return Err(Conflict::TranslationLangTaken {
                    slug: mine.to_owned(),
                    lang: v.lang.clone(),
                    other: theirs.to_owned(),
                }
                .into());
            }
        }
        let group = (set.len() > 1).then_some(*name);
        for m in set {
            regrouped |= set_group.execute(params![m, group])? > 0;
        }
    }
    // A member scheduled for later: the documents showing the others change
    // by themselves at its time (their next change moves; see
    // `attach_translations`), so their cached copies go.
    if member(conn, id)?
        .is_some_and(|v| v.group.is_some() && v.lifecycle.state(now) == State::Scheduled)
    {
        for (m, v) in &members {
            if *m != id && v.lifecycle.is_public(now) {
                schedule_of_release_changes(conn, *m, scopes)?;
            }
        }
    }
    // The feed entries of every readable member link the others: they
    // change when the set or this release's place in it does.
    if regrouped || link_changed || (seen_changed && me.group.is_some()) {
        let now_ms = crate::store::to_ms(now);
        for (m, v) in &members {
            if v.lifecycle.is_public(now) && *m != id {
                feeds_of_release_change(conn, *m, now_ms, scopes)?;
            }
        }
    }
    Ok(regrouped || link_changed)
}

/// A release's visibility changed (retracted, restored): the feeds of the
/// other readable members of its set change too (their `hreflang` links).
pub(super) fn feeds_of_set_change(
    conn: &Conn,
    id: i64,
    now: DateTime<Utc>,
    scopes: &mut ChangedScopes,
) -> Result<()> {
    let group = member(conn, id)?.and_then(|m| m.group);
    let now_ms = crate::store::to_ms(now);
    for m in group_members(conn, group)? {
        if m != id && member(conn, m)?.is_some_and(|v| v.lifecycle.is_public(now)) {
            feeds_of_release_change(conn, m, now_ms, scopes)?;
        }
    }
    Ok(())
}

/// Fills in each release's translations that readers can see at `now`
/// (a draft, a release scheduled for later or a retracted one is left out:
/// nothing of it may show), ordered by language. Returns the instant the
/// first translation scheduled for later becomes visible (milliseconds):
/// a document showing these releases changes then, with no write.
pub(in crate::store) fn attach_translations(
    conn: &Conn,
    releases: &mut [Release],
    now: DateTime<Utc>,
) -> db::Result<Option<i64>> {
    if releases.is_empty() {
        return Ok(None);
    }
    // One query for the whole document (a feed renders 50 items, nearly
    // all without translations), the ids passed as a JSON array.
    let ids = db::id_list(releases.iter().map(|r| r.id));
    let mut found: BTreeMap<i64, Vec<Translation>> = BTreeMap::new();
    let mut next: Option<i64> = None;
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, o.slug, o.lang, o.status, o.published_at FROM releases r \
         JOIN releases o ON o.translation_group = r.translation_group AND o.id <> r.id \
         WHERE r.id IN (SELECT value FROM json_each(?1)) AND r.translation_group IS NOT NULL \
         ORDER BY o.lang",
    )?;
    let rows = stmt.query_map([ids], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, i64>(4)?,
        ))
    })?;
    for row in rows {
        let (id, slug, lang, status, published_ms) = row?;
        let lifecycle = Lifecycle {
            status: Status::parse(&status).unwrap_or(Status::Draft),
            published_at: from_ms(published_ms),
        };
        match lifecycle.state(now) {
            State::Public => found
                .entry(id)
                .or_default()
                .push(Translation { slug, lang }),
            State::Scheduled => {
                let at = crate::store::to_ms(lifecycle.published_at);
                next = Some(next.map_or(at, |n| n.min(at)));
            }
            State::Draft | State::Retracted => {}
        }
    }
    for r in releases.iter_mut() {
        r.translations = found.remove(&r.id).unwrap_or_default();
    }
    Ok(next)
}

/// The slug of the release `id` translates, if it names one.
pub(super) fn original_slug(conn: &Conn, id: i64) -> db::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT o.slug FROM releases r JOIN releases o ON o.id = r.translation_of WHERE r.id = ?1",
    )?
    .query_row([id], |r| r.get(0))
    .optional()
}

#[cfg(test)]
mod tests {
    use super::super::{test_draft, test_store};
    use crate::domain::{Lang, Slug};
    use crate::store::{Conflict, StoreError};

    fn draft(slug: &str, lang: &str, of: Option<&str>) -> crate::domain::ReleaseDraft {
        let at = chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(20_000);
        let mut d = test_draft(slug, "published", at);
        d.lang = Lang::parse(lang).unwrap();
        d.translation_of = of.map(|o| Slug::parse(o).unwrap());
        d
    }

    /// Sets join through links of either direction, merge when a link
    /// joins two, split again when it goes, and refuse two of a language.
    #[test]
    fn links_join_merge_and_split_sets() {
        let (_dir, store, now) = test_store();
        let save = |d| store.save_release(&d, now, "example.org");
        let set = |slug: &str| {
            let mut langs: Vec<String> = store
                .release_with_translations(slug, now)
                .unwrap()
                .unwrap()
                .translations
                .into_iter()
                .map(|t| t.lang)
                .collect();
            langs.sort();
            langs
        };
        save(draft("a", "en", None)).unwrap();
        save(draft("b", "ar", Some("a"))).unwrap();
        save(draft("c", "fr", None)).unwrap();
        save(draft("d", "de", Some("c"))).unwrap();
        assert_eq!(set("a"), ["ar"]);
        assert_eq!(set("d"), ["fr"]);
        // c (the original of d) becomes a translation of b: one set of four.
        save(draft("c", "fr", Some("b"))).unwrap();
        assert_eq!(set("a"), ["ar", "de", "fr"]);
        assert_eq!(set("d"), ["ar", "en", "fr"]);
        // A second Arabic release cannot join, whichever member it names.
        let refused = save(draft("e", "ar", Some("d")));
        assert!(
            matches!(
                refused,
                Err(StoreError::Conflict(Conflict::TranslationLangTaken { ref lang, .. })) if lang == "ar"
            ),
            "{refused:?}"
        );
        // Nor can a member change to a language the set has.
        let refused = save(draft("d", "en", Some("c")));
        assert!(matches!(
            refused,
            Err(StoreError::Conflict(Conflict::TranslationLangTaken { .. }))
        ));
        // a -> ... -> a is a cycle.
        let refused = save(draft("a", "en", Some("d")));
        assert!(matches!(
            refused,
            Err(StoreError::Conflict(Conflict::TranslationCycle { .. }))
        ));
        // Taking the link c -> b away splits the set where it was.
        save(draft("c", "fr", None)).unwrap();
        assert_eq!(set("a"), ["ar"]);
        assert_eq!(set("c"), ["de"]);
    }
}
