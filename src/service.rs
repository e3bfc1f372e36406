//! The one write path: import, demo content and (later) the newsroom all
//! go through here, so validation, sanitising and ids live in one place.

use crate::domain::{ReleaseDraft, ReleaseInput};
use crate::model::SaveOutcome;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::io::BufRead;

/// One bad line of an import file, shown as `FILE:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}; nothing was written", crate::wording::counted(.0.len() as u64, "bad line", "bad lines"))]
    BadLines(Vec<LineError>),
    #[error("cannot read the input: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Reads JSON Lines into validated releases; every bad line is reported,
/// and any bad line means no releases at all. Blank lines are skipped.
pub fn parse_jsonl(reader: impl BufRead) -> Result<(Vec<ReleaseDraft>, Vec<usize>), ImportError> {
    let mut drafts = Vec::new();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line_no = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                errors.push(LineError {
                    line: line_no,
                    message: "not valid UTF-8".into(),
                });
                continue;
            }
            Err(e) => return Err(ImportError::Read(e)),
        };
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        match parse_line(text) {
            Ok(d) => {
                drafts.push(d);
                lines.push(line_no);
            }
            Err(message) => errors.push(LineError {
                line: line_no,
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok((drafts, lines))
    } else {
        Err(ImportError::BadLines(errors))
    }
}

/// One import line to a validated release, or what is wrong with it.
pub fn parse_line(text: &str) -> Result<ReleaseDraft, String> {
    let input: ReleaseInput = serde_json::from_str(text)
        .map_err(|e| format!("not a release in the import format: {e}"))?;
    input.validate().map_err(|errs| {
        errs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Stores releases all-or-nothing. A conflict names the line it came from.
pub fn import(
    store: &Store,
    drafts: &[ReleaseDraft],
    lines: &[usize],
    now: DateTime<Utc>,
    authority: &str,
    progress: &mut dyn FnMut(usize),
) -> Result<ImportReport, ImportError> {
    // The same horizon as the form and the API, for releases that would be
    // published one day (a draft's time is its plan, bounded like the form's).
    let too_far: Vec<LineError> = drafts
        .iter()
        .zip(lines)
        .filter(|(d, _)| d.status != Status::Retracted)
        .filter_map(|(d, &line)| {
            check_horizon("published_at", d.published_at, now).map(|e| LineError {
                line,
                message: e.to_string(),
            })
        })
        .collect();
    if !too_far.is_empty() {
        return Err(ImportError::BadLines(too_far));
    }
    let outcomes = store
        .save_releases(drafts, now, authority, progress)
        .map_err(|e| match e {
            StoreError::InBatch { index, source } if !source.is_unavailable() => {
                ImportError::BadLines(vec![LineError {
                    line: lines.get(index).copied().unwrap_or(index + 1),
                    message: source.to_string(),
                }])
            }
            StoreError::InBatch { source, .. } => ImportError::Store(*source),
            other => ImportError::Store(other),
        })?;
    let mut report = ImportReport::default();
    for o in outcomes {
        match o {
            SaveOutcome::Created => report.created += 1,
            SaveOutcome::Updated => report.updated += 1,
            SaveOutcome::Unchanged => report.unchanged += 1,
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_each_bad_line_by_number() {
        let good = r#"{"slug":"a","title":"A","body_html":"<p>x</p>","organization":"O","lang":"en","published_at":"2024-01-01T00:00:00Z","topics":["t"]}"#;
        let input = format!("{good}\n\nnot json\n{}\n", good.replace("\"en\"", "\"??\""));
        match parse_jsonl(input.as_bytes()) {
            Err(ImportError::BadLines(errs)) => {
                assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4]);
                assert!(errs[1].message.contains("lang"), "{:?}", errs[1]);
            }
            other => panic!("expected bad lines, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// The newsroom and the automation API: the same rules for the form, the API
// and the command line (accounts, tokens).

use crate::domain::{
    ReleaseDraft as Draft, Removed, Slug, Status, ValidationError, check_markdown, clean_name,
    clean_optional, cleaned_markdown, markdown_to_html, markdown_to_html_reporting,
};
use crate::model::Release;
use crate::store::{NewTopic, TopicDeletion};

/// Why a newsroom or API write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ValidationError>),
    #[error("no such release")]
    NotFound,
    #[error("{0} already exists")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] crate::admin::credentials::HashError),
}

impl WriteError {
    fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        WriteError::Invalid(vec![ValidationError::new(field, message)])
    }
}

/// What the admin asked for with the release form's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publish {
    /// Keep (or make) it a draft, with the time it is planned for, if any
    /// (shown in the form, binding nothing).
    Draft(Option<DateTime<Utc>>),
    /// Publish at once.
    Now,
    /// Publish by itself at this instant (an embargo).
    At(DateTime<Utc>),
    /// Save changes, keeping the status and time it has.
    Keep,
}

/// The release form as typed (already split into fields).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseEdit {
    /// Empty: made from the title.
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Markdown; HTML inside it is kept and sanitised.
    pub body: String,
    pub organization: String,
    pub department: String,
    pub dateline: String,
    pub lang: String,
    /// Slugs of existing topics.
    pub topics: Vec<String>,
    /// Names of topics to create, comma-separated.
    pub new_topics: String,
    pub correction_note: String,
}

/// A form that passed validation, ready to store or preview.
#[derive(Debug, Clone)]
pub struct PreparedRelease {
    pub draft: Draft,
    pub new_topics: Vec<NewTopic>,
    /// What the sanitiser took out of the body.
    pub removed: Removed,
}

/// How far ahead a release can be scheduled, in years: a mistyped year
/// (9999) must not become an embargo nobody notices.
pub const SCHEDULE_HORIZON_YEARS: u32 = 5;

/// The latest instant a release can be scheduled for.
pub fn schedule_horizon(now: DateTime<Utc>) -> DateTime<Utc> {
    now.checked_add_months(chrono::Months::new(12 * SCHEDULE_HORIZON_YEARS))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Refuses a time beyond [`schedule_horizon`], reported against `field`.
fn check_horizon(
    field: &'static str,
    t: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<ValidationError> {
    let limit = schedule_horizon(now);
    (t > limit).then(|| {
        ValidationError::new(
            field,
            format!(
                "this is more than {SCHEDULE_HORIZON_YEARS} years ahead; check the year \
                 (the latest possible date is {})",
                limit.format("%-d %b %Y")
            ),
        )
    })
}

/// Most topics one form or API request may create.
pub const MAX_NEW_TOPICS: usize = 5;

/// Refuses a release whose topics do not all exist unless `may_create`
/// allows each missing one (typed as a new topic in the form, or the API's
/// `create_topics`), and never more than [`MAX_NEW_TOPICS`] at once: a
/// topic is a public channel, not a side effect of a typo.
fn check_new_topics(
    store: &Store,
    draft: &Draft,
    may_create: impl Fn(&Slug) -> bool,
) -> Result<(), WriteError> {
    let mut missing = Vec::new();
    for slug in &draft.topics {
        if store.topic_by_slug(slug.as_str())?.is_none() {
            missing.push(slug);
        }
    }
    let mut errors: Vec<ValidationError> = missing
        .iter()
        .filter(|s| !may_create(s))
        .map(|s| ValidationError::new("topics", format!("there is no topic {:?}", s.as_str())))
        .collect();
    if missing.len() > MAX_NEW_TOPICS {
        errors.push(ValidationError::new(
            "topics",
            format!(
                "{} new topics at once; at most {MAX_NEW_TOPICS} can be created with one release",
                missing.len()
            ),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(WriteError::Invalid(errors))
    }
}

/// The admin-facing name of a field of the import format.
fn form_field(field: &'static str) -> &'static str {
    match field {
        "body_html" => "body",
        "published_at" => "schedule",
        other => other,
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Whether what readers see differs between the stored release and `d`.
fn content_differs(r: &Release, d: &Draft) -> bool {
    r.title != d.title.as_str()
        || r.summary != d.summary
        || r.body_html != d.body_html
        || r.organization != d.organization
        || r.department != d.department
        || r.dateline != d.dateline
        || r.lang != d.lang.as_str()
        || r.correction_note != d.correction_note
        || !r
            .topics
            .iter()
            .map(|t| t.slug.as_str())
            .eq(d.topics.iter().map(Slug::as_str))
}

/// A slug from the title that no other release uses.
fn unique_slug_from(
    store: &Store,
    title: &str,
    own_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let base = Slug::from_text(title)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("release-{}", now.format("%Y%m%d-%H%M%S")));
    for n in 1.. {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        match store.release_id_by_slug(&candidate)? {
            None => return Ok(candidate),
            Some(id) if Some(id) == own_id => return Ok(candidate),
            Some(_) => {}
        }
    }
    unreachable!("an unbounded range always yields a free slug")
}

/// Applies the newsroom's rules to a form: status and times from the
/// button pressed, the slug (made from the title, unique, fixed once
/// published), Markdown to sanitised HTML, inline topics, the updated time
/// of corrections. Reports every invalid field at once.
pub fn prepare_release_edit(
    store: &Store,
    existing: Option<&Release>,
    slug_locked: bool,
    edit: &ReleaseEdit,
    publish: Publish,
    now: DateTime<Utc>,
) -> Result<PreparedRelease, WriteError> {
    let mut errors = Vec::new();
    let visible = existing.is_some_and(|r| r.status == Status::Published && r.published_at <= now);
    let (status, published_at) = match (existing.map(|r| r.status), publish) {
        (Some(Status::Retracted), _) => {
            let r = existing.expect("matched Some");
            (Status::Retracted, r.published_at)
        }
        (_, Publish::Keep)
            if visible || existing.is_some_and(|r| r.status == Status::Published) =>
        {
            let r = existing.expect("published");
            (Status::Published, r.published_at)
        }
        (_, Publish::Draft(Some(t))) if !visible => {
            errors.extend(check_horizon("schedule", t, now));
            (Status::Draft, t)
        }
        (_, Publish::Draft(None)) if !visible => (Status::Draft, now),
        (_, Publish::Keep) if !visible => (Status::Draft, existing.map_or(now, |r| r.published_at)),
        (_, Publish::Now) if visible => {
            let r = existing.expect("visible");
            (Status::Published, r.published_at)
        }
        (_, Publish::Now) => (Status::Published, now),
        (_, Publish::At(t)) if !visible => {
            if t <= now {
                errors.push(ValidationError::new(
                    "schedule",
                    "this time has passed; choose a later one or publish now",
                ));
            }
            errors.extend(check_horizon("schedule", t, now));
            (Status::Published, t)
        }
        _ => {
            errors.push(ValidationError::new(
                "action",
                "this release is already published; save the changes, or retract it",
            ));
            let r = existing.expect("visible");
            (r.status, r.published_at)
        }
    };

    let slug = match existing {
        Some(r) if slug_locked => {
            let typed = edit.slug.trim();
            if !typed.is_empty() && typed != r.slug {
                errors.push(ValidationError::new(
                    "slug",
                    format!("cannot change after publication; it stays {:?}", r.slug),
                ));
            }
            r.slug.clone()
        }
        _ if edit.slug.trim().is_empty() => {
            unique_slug_from(store, &edit.title, existing.map(|r| r.id), now)?
        }
        _ => edit.slug.trim().to_owned(),
    };

    let mut topics: Vec<String> = edit.topics.iter().map(|t| t.trim().to_owned()).collect();
    let mut new_topics = Vec::new();
    for name in edit.new_topics.split(',') {
        let name = clean_name(name);
        if name.is_empty() {
            continue;
        }
        match Slug::from_text(&name) {
            Some(slug) => {
                if !topics.contains(&slug.to_string()) {
                    topics.push(slug.to_string());
                }
                new_topics.push(NewTopic { slug, name });
            }
            None => errors.push(ValidationError::new(
                "new_topics",
                format!(
                    "{name:?} has no letters or digits for its address; create it on the Topics page with a slug"
                ),
            )),
        }
    }

    // The body is checked (size, nesting) as typed, before the sanitiser
    // sees it; that message then stands for it, not "the body is empty".
    let body_check = check_markdown(&edit.body);
    let (mut body_html, removed) = match &body_check {
        Ok(()) => markdown_to_html_reporting(&edit.body),
        Err(e) => {
            errors.push(ValidationError::new("body", e.to_string()));
            (String::new(), Removed::default())
        }
    };
    // What the form shows in the body box from now on: what was typed, or,
    // when the sanitiser removed something, the typed Markdown with those
    // parts taken out, or else the HTML as stored. Never text with markup
    // readers do not get.
    let mut body_markdown = Some(edit.body.clone());
    if !removed.is_empty() {
        body_markdown = cleaned_markdown(&edit.body);
        body_html = match &body_markdown {
            Some(md) => markdown_to_html(md),
            // Passing the HTML through once more makes it what saving the
            // box gives (removed parts leave blank lines the second pass
            // drops), so a re-save changes nothing and never marks a
            // published release as updated.
            None => markdown_to_html(&body_html),
        };
    }
    let body_refused = body_check.is_err();
    let input = ReleaseInput {
        id: None,
        slug,
        title: edit.title.clone(),
        summary: Some(edit.summary.clone()),
        body_html,
        body_markdown,
        organization: edit.organization.clone(),
        department: Some(edit.department.clone()),
        dateline: Some(edit.dateline.clone()),
        lang: edit.lang.clone(),
        published_at: rfc3339(published_at),
        updated_at: None,
        topics,
        status: Some(status.as_str().to_owned()),
        correction_note: Some(edit.correction_note.clone()),
        retraction_note: existing.and_then(|r| r.retraction_note.clone()),
    };
    let mut draft = match input.validate() {
        Ok(d) if errors.is_empty() => d,
        Ok(_) => return Err(WriteError::Invalid(errors)),
        Err(more) => {
            errors.extend(
                more.into_iter()
                    .filter(|e| !(body_refused && e.field == "body_html"))
                    .map(|mut e| {
                        e.field = form_field(e.field);
                        e
                    }),
            );
            return Err(WriteError::Invalid(errors));
        }
    };
    let named: Vec<&Slug> = new_topics.iter().map(|t| &t.slug).collect();
    check_new_topics(store, &draft, |slug| named.contains(&slug))?;
    // A correction of something readers have seen shows as updated now;
    // otherwise the updated time stays where it was.
    draft.updated_at = match existing {
        Some(r) if visible && content_differs(r, &draft) => Some(now),
        Some(r) if visible || r.status == Status::Retracted => Some(r.updated_at),
        _ => None,
    };
    Ok(PreparedRelease {
        draft,
        new_topics,
        removed,
    })
}

/// A write refused by what is stored (a slug or id someone else has, an id
/// that would change) is the writer's mistake: a field error, not a failure.
fn slug_errors(e: StoreError) -> WriteError {
    match e {
        StoreError::IdConflict(m) => WriteError::invalid("id", m),
        StoreError::Taken {
            what: "slug",
            value,
        } => WriteError::invalid(
            "slug",
            format!("{value:?} is already used by another release"),
        ),
        StoreError::Conflict(m) if m.contains("slug") => WriteError::invalid("slug", m),
        other => WriteError::Store(other),
    }
}

/// Creates (`existing_id` None) or updates a release from the form.
/// Returns its id and what the sanitiser removed from the body.
pub fn save_release_edit(
    store: &Store,
    existing_id: Option<i64>,
    edit: &ReleaseEdit,
    publish: Publish,
    now: DateTime<Utc>,
    authority: &str,
) -> Result<(i64, Removed), WriteError> {
    let existing = match existing_id {
        Some(id) => Some(store.release_by_id(id)?.ok_or(WriteError::NotFound)?),
        None => None,
    };
    let locked = match existing_id {
        Some(id) => store.release_slug_locked(id, now)?,
        None => false,
    };
    let prepared = prepare_release_edit(store, existing.as_ref(), locked, edit, publish, now)?;
    let (id, _) = store
        .save_newsroom_release(
            existing_id,
            &prepared.draft,
            &prepared.new_topics,
            now,
            authority,
        )
        .map_err(slug_errors)?;
    Ok((id, prepared.removed))
}

/// Takes a published (or scheduled) release out of every feed; its page
/// answers 410 Gone with the notice.
pub fn retract_release(
    store: &Store,
    id: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), WriteError> {
    let r = store.release_by_id(id)?.ok_or(WriteError::NotFound)?;
    if r.status != Status::Published {
        return Err(WriteError::invalid(
            "status",
            format!(
                "only a published release can be retracted; this one is {}",
                r.status.as_str()
            ),
        ));
    }
    let note = clean_optional(Some(note));
    store.set_release_status(id, Status::Retracted, note.as_deref(), now)?;
    Ok(())
}

/// Publishes a retracted release again, with its id and times unchanged.
pub fn restore_release(store: &Store, id: i64, now: DateTime<Utc>) -> Result<(), WriteError> {
    let r = store.release_by_id(id)?.ok_or(WriteError::NotFound)?;
    if r.status != Status::Retracted {
        return Err(WriteError::invalid(
            "status",
            "only a retracted release can be restored",
        ));
    }
    store.set_release_status(id, Status::Published, None, now)?;
    Ok(())
}

/// How the API names the release it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiWrite {
    /// `POST /api/v1/releases`: a new slug.
    Create { create_topics: bool },
    /// `PUT /api/v1/releases/{slug}`: create or replace that slug.
    Put { slug: String, create_topics: bool },
}

impl ApiWrite {
    /// Whether the request asked for its unknown topics to be created
    /// (`?create_topics=true`).
    fn create_topics(&self) -> bool {
        match self {
            ApiWrite::Create { create_topics } | ApiWrite::Put { create_topics, .. } => {
                *create_topics
            }
        }
    }
}

/// Stores a release in the import format from the API: same validation as
/// the import and the form; a correction of a visible release without an
/// explicit `updated_at` shows as updated now.
pub fn save_api_release(
    store: &Store,
    input: &ReleaseInput,
    mode: &ApiWrite,
    now: DateTime<Utc>,
    authority: &str,
) -> Result<(SaveOutcome, Release), WriteError> {
    let mut draft = input.validate().map_err(WriteError::Invalid)?;
    if draft.status != Status::Retracted
        && let Some(e) = check_horizon("published_at", draft.published_at, now)
    {
        return Err(WriteError::Invalid(vec![e]));
    }
    check_new_topics(store, &draft, |_| mode.create_topics())?;
    let existing = store.release_by_slug(draft.slug.as_str())?;
    match mode {
        ApiWrite::Create { .. } if existing.is_some() => {
            return Err(WriteError::Exists(format!(
                "release {:?}",
                draft.slug.as_str()
            )));
        }
        ApiWrite::Put {
            slug: path_slug, ..
        } if path_slug != draft.slug.as_str() => {
            return Err(WriteError::invalid("slug", "must be the slug in the URL"));
        }
        _ => {}
    }
    if draft.updated_at.is_none()
        && let Some(r) = &existing
    {
        let visible = r.status == Status::Published && r.published_at <= now;
        if visible {
            draft.updated_at = Some(if content_differs(r, &draft) {
                now
            } else {
                r.updated_at
            });
        }
    }
    let outcome = store
        .save_release(&draft, now, authority)
        .map_err(slug_errors)?;
    let saved = store
        .release_by_slug(draft.slug.as_str())?
        .ok_or(WriteError::NotFound)?;
    Ok((outcome, saved))
}

fn topic_name(name: &str) -> Result<String, ValidationError> {
    let name = Some(clean_name(name)).filter(|n| !n.is_empty());
    match name {
        None => Err(ValidationError::new("name", "a name is required")),
        Some(n) if n.chars().count() > 200 => {
            Err(ValidationError::new("name", "at most 200 characters"))
        }
        Some(n) => Ok(n),
    }
}

fn topic_description(d: &str) -> Result<Option<String>, ValidationError> {
    let d = clean_optional(Some(d));
    if d.as_ref().is_some_and(|d| d.chars().count() > 2000) {
        return Err(ValidationError::new(
            "description",
            "at most 2000 characters",
        ));
    }
    Ok(d)
}

/// Creates a topic; the slug is made from the name when not given.
pub fn create_topic(
    store: &Store,
    name: &str,
    slug: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<Slug, WriteError> {
    let mut errors = Vec::new();
    let name = topic_name(name).map_err(|e| errors.push(e)).ok();
    let description = topic_description(description)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let slug = if slug.trim().is_empty() {
        match name.as_deref().and_then(Slug::from_text) {
            Some(s) => Some(s),
            None => {
                if name.is_some() {
                    errors.push(ValidationError::new(
                        "slug",
                        "the name has no letters or digits; type a slug for the address",
                    ));
                }
                None
            }
        }
    } else {
        Slug::parse(slug.trim()).map_err(|e| errors.push(e)).ok()
    };
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(WriteError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(WriteError::Invalid(errors));
    }
    match store.create_topic(&slug, &name, description.as_deref(), now) {
        Ok(()) => Ok(slug),
        Err(StoreError::Taken { value, .. }) => Err(WriteError::invalid(
            "slug",
            format!("a topic {value:?} already exists"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Renames and/or describes a topic; its slug and feed URLs stay.
pub fn update_topic(
    store: &Store,
    slug: &str,
    name: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<(), WriteError> {
    let name = topic_name(name);
    let description = topic_description(description);
    let (name, description) = match (name, description) {
        (Ok(n), Ok(d)) => (n, d),
        (n, d) => {
            return Err(WriteError::Invalid(
                [n.err(), d.err()].into_iter().flatten().collect(),
            ));
        }
    };
    if store.update_topic(slug, &name, description.as_deref(), now)? {
        Ok(())
    } else {
        Err(WriteError::NotFound)
    }
}

/// Deletes a topic no release uses.
pub fn delete_topic(store: &Store, slug: &str, now: DateTime<Utc>) -> Result<(), WriteError> {
    match store.delete_topic(slug, now)? {
        TopicDeletion::Deleted => Ok(()),
        TopicDeletion::NotFound => Err(WriteError::NotFound),
        TopicDeletion::InUse(n) => Err(WriteError::invalid(
            "topic",
            format!(
                "{} this topic; it can be deleted once none does",
                crate::wording::counted(n as u64, "release uses", "releases use")
            ),
        )),
    }
}

/// Creates an admin account (CLI `create-admin`).
pub fn create_admin(
    store: &Store,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<String, WriteError> {
    use crate::admin::credentials as cred;
    let username = cred::parse_username(username).map_err(|e| WriteError::Invalid(vec![e]))?;
    cred::check_new_password(password).map_err(|e| WriteError::Invalid(vec![e]))?;
    let hash = cred::hash_password(password)?;
    match store.create_admin(&username, &hash, now) {
        Ok(_) => Ok(username),
        Err(StoreError::Taken { .. }) => Err(WriteError::Exists(format!("admin {username:?}"))),
        Err(e) => Err(e.into()),
    }
}

/// Sets a new password (CLI `reset-password`); the account's sessions end.
pub fn reset_password(
    store: &Store,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<String, WriteError> {
    use crate::admin::credentials as cred;
    let username = cred::parse_username(username).map_err(|e| WriteError::Invalid(vec![e]))?;
    cred::check_new_password(password).map_err(|e| WriteError::Invalid(vec![e]))?;
    let hash = cred::hash_password(password)?;
    if store.set_admin_password(&username, &hash, now)? {
        Ok(username)
    } else {
        Err(WriteError::NotFound)
    }
}

/// Makes an API token called `name`; returns the token, which is shown
/// once and stored only as a hash.
pub fn create_token(
    store: &Store,
    name: &str,
    expires_in_days: Option<u32>,
    now: DateTime<Utc>,
) -> Result<String, WriteError> {
    use crate::admin::credentials as cred;
    let name = name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(WriteError::invalid(
            "name",
            "use 1 to 100 printable characters",
        ));
    }
    let expires_at = match expires_in_days {
        None => None,
        Some(days @ 1..=MAX_TOKEN_DAYS) => Some(now + chrono::Duration::days(days.into())),
        Some(_) => {
            return Err(WriteError::invalid(
                "expires-in-days",
                format!("use 1 to {MAX_TOKEN_DAYS} days"),
            ));
        }
    };
    let token = cred::new_token();
    match store.create_token(name, &cred::token_digest(&token), expires_at, now) {
        Ok(()) => Ok(token),
        Err(StoreError::Taken { .. }) => Err(WriteError::Exists(format!("token {name:?}"))),
        Err(e) => Err(e.into()),
    }
}

/// Longest lifetime `create-token --expires-in-days` accepts (ten years).
pub const MAX_TOKEN_DAYS: u32 = 3660;

/// Revokes the token called `name`.
pub fn revoke_token(store: &Store, name: &str, now: DateTime<Utc>) -> Result<(), WriteError> {
    if store.revoke_token(name.trim(), now)? {
        Ok(())
    } else {
        Err(WriteError::NotFound)
    }
}
