//! Releases from the newsroom form and the API: status and times from the
//! button pressed, slugs, Markdown to sanitised HTML, corrections,
//! retraction and restoring.

use super::WriteError;
use super::horizon::check_horizon;
use super::topics::check_new_topics;
use crate::domain::attachment::{AttachmentInput, AttachmentRef, validate_attachments};
use crate::domain::{
    ReleaseDraft as Draft, ReleaseInput, Removed, Slug, State, Status, ValidationError,
    check_markdown, clean_name, clean_optional, cleaned_markdown, markdown_to_html,
    markdown_to_html_reporting,
};
use crate::model::{Release, SaveOutcome, TopicRef};
use crate::store::{Conflict, NewTopic, Store, StoreError};
use chrono::{DateTime, Utc};

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
    /// The slug of the release this one translates; empty: none.
    pub translation_of: String,
    /// Its attachments in order, as the form lists them; `None`: keep the
    /// stored ones (a form that does not list them).
    pub attachments: Option<Vec<AttachmentInput>>,
    /// Its media contacts in order, blank rows allowed (skipped); `None`:
    /// keep the stored ones (a form that does not list them).
    pub media_contacts: Option<Vec<crate::domain::MediaContactInput>>,
    /// Notes to editors (Markdown); `None`: keep the stored ones.
    pub notes_to_editors: Option<String>,
}

/// A form that passed validation, ready to store or preview.
#[derive(Debug, Clone)]
pub struct PreparedRelease {
    pub draft: Draft,
    pub new_topics: Vec<NewTopic>,
    /// What the sanitiser took out of the body.
    pub removed: Removed,
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
        || r.notes_to_editors != d.notes_to_editors
        || r.media_contacts != d.media_contacts
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

/// The release form in the import format, before the release rules run.
pub struct EditInput {
    pub input: ReleaseInput,
    /// Topics typed as new, to create with the release.
    pub new_topics: Vec<NewTopic>,
    /// What the sanitiser took out of the body.
    pub removed: Removed,
    /// Problems found on the way (an unusable topic name, a body refused
    /// as typed); `input.validate()` finds the rest.
    pub errors: Vec<ValidationError>,
    /// The body was refused as typed: its message stands for it.
    pub body_refused: bool,
}

/// The release form turned into the import format, before anything is
/// looked up: inline topics split off, the Markdown body made sanitised
/// HTML (and what the form shows of it), every field as typed. What the
/// store decides (slug, status, time) comes in. The fuzz target
/// `form_decoding` drives this with arbitrary forms.
pub fn edit_input(
    edit: &ReleaseEdit,
    slug: String,
    status: Status,
    published_at: DateTime<Utc>,
    retraction_note: Option<String>,
) -> EditInput {
    let mut errors = Vec::new();
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
        retraction_note,
        translation_of: Some(edit.translation_of.clone()),
        // The form does not carry them yet: prepare_release_edit keeps the
        // stored ones.
        attachments: Vec::new(),
        media_contacts: edit.media_contacts.clone().unwrap_or_default(),
        notes_to_editors: edit.notes_to_editors.clone(),
    };
    EditInput {
        input,
        new_topics,
        removed,
        errors,
        body_refused,
    }
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
    let visible = existing.is_some_and(|r| r.state(now) == State::Public);
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

    let EditInput {
        mut input,
        new_topics,
        removed,
        errors: more,
        body_refused,
    } = edit_input(
        edit,
        slug,
        status,
        published_at,
        existing.and_then(|r| r.retraction_note.clone()),
    );
    errors.extend(more);
    // A form without the furniture fields keeps what is stored.
    if let Some(r) = existing {
        if edit.media_contacts.is_none() {
            input.media_contacts = r.media_contacts.iter().map(|c| c.to_input()).collect();
        }
        if edit.notes_to_editors.is_none() {
            input.notes_to_editors = r.notes_to_editors.clone();
        }
    }
    let attachments = match &edit.attachments {
        Some(list) => form_attachments(store, list, &mut errors)?,
        None => match existing {
            Some(r) => store.attachment_refs(r.id).map_err(WriteError::Store)?,
            None => Vec::new(),
        },
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
    draft.attachments = attachments;
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

/// The attachments a form lists, checked with messages that name each
/// file: a well-formed list (see `validate_attachments`) of stored files,
/// every image with alt text (its own here, or the upload's).
fn form_attachments(
    store: &Store,
    list: &[AttachmentInput],
    errors: &mut Vec<ValidationError>,
) -> Result<Vec<AttachmentRef>, WriteError> {
    let refs = match validate_attachments(list) {
        Ok(refs) => refs,
        Err(e) => {
            errors.push(e);
            return Ok(Vec::new());
        }
    };
    for a in &refs {
        let Some(m) = store.media(&a.sha256).map_err(WriteError::Store)? else {
            errors.push(ValidationError::new(
                "attachments",
                format!("no file {} was uploaded; add it again", a.sha256),
            ));
            continue;
        };
        if m.media_type.is_image() && a.alt.is_none() && m.alt.is_none() {
            errors.push(ValidationError::new(
                "attachments",
                format!(
                    "“{}” is an image: it needs alt text (what it shows, for readers who \
                     cannot see it)",
                    m.filename
                ),
            ));
        }
        if a.lead && !m.media_type.is_image() {
            errors.push(ValidationError::new(
                "attachments",
                format!(
                    "“{}” is not an image, so it cannot be the lead image",
                    m.filename
                ),
            ));
        }
    }
    Ok(refs)
}

/// A write refused by what is stored (a slug or id someone else has, an id
/// that would change) is the writer's mistake: a field error, not a failure.
fn slug_errors(e: StoreError) -> WriteError {
    match e {
        StoreError::Conflict(c @ (Conflict::IdTaken(_) | Conflict::IdChanged { .. })) => {
            WriteError::invalid("id", c.to_string())
        }
        StoreError::Conflict(Conflict::SlugTaken(value)) => WriteError::invalid(
            "slug",
            format!("{value:?} is already used by another release"),
        ),
        StoreError::Conflict(c @ Conflict::SlugLocked(_)) => {
            WriteError::invalid("slug", c.to_string())
        }
        StoreError::Conflict(Conflict::NoSuchRelease(_)) => WriteError::NotFound,
        StoreError::Conflict(
            c @ (Conflict::UnknownOriginal { .. }
            | Conflict::TranslationOfItself(_)
            | Conflict::TranslationCycle { .. }
            | Conflict::TranslationLangTaken { .. }),
        ) => WriteError::invalid("translation_of", c.to_string()),
        StoreError::Conflict(
            c @ (Conflict::UnknownAttachment(_)
            | Conflict::AttachmentNeedsAlt(_)
            | Conflict::LeadNotImage(_)),
        ) => WriteError::invalid("attachments", c.to_string()),
        other => WriteError::Store(other),
    }
}

/// What the release form's button asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormAction {
    /// Store it: a draft, published, scheduled, or as it stands.
    Save(Publish),
    /// Show it as readers would get it, storing nothing.
    Preview,
}

/// What came of a submitted release form.
#[derive(Debug)]
pub enum Submitted {
    /// Stored: its id, the release as stored now, and what the sanitiser
    /// took out of the body.
    Saved {
        id: i64,
        release: Release,
        removed: Removed,
    },
    /// Nothing stored: the release as it would be stored, and its topics by
    /// name (new ones included), for a preview of what readers get.
    Preview {
        prepared: PreparedRelease,
        topics: Vec<TopicRef>,
        /// Its files as readers will get them.
        attachments: Vec<crate::model::Attachment>,
    },
}

/// A time typed in the form's "Publish at", in the office's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypedTime {
    pub at: DateTime<Utc>,
    pub zone: chrono_tz::Tz,
}

/// The release form, submitted for a new (`existing_id` None) or stored
/// release. `typed` is the time in "Publish at", when it could be read.
pub fn submit_release_edit(
    store: &Store,
    existing_id: Option<i64>,
    edit: &ReleaseEdit,
    action: FormAction,
    typed: Option<TypedTime>,
    now: DateTime<Utc>,
    authority: &str,
) -> Result<Submitted, WriteError> {
    let existing = match existing_id {
        Some(id) => Some(store.release_by_id(id)?.ok_or(WriteError::NotFound)?),
        None => None,
    };
    let locked = match existing_id {
        Some(id) => store.release_slug_locked(id, now)?,
        None => false,
    };
    let publish = match (action, &existing, typed) {
        (FormAction::Save(Publish::Keep), Some(r), Some(t)) => keep_or_reschedule(r, t, now),
        (FormAction::Save(p), ..) => p,
        // A preview shows the release as it would go out: where it stands
        // if readers see it already, else at the time typed, else now.
        (FormAction::Preview, Some(r), _) if r.state(now) == State::Public => Publish::Keep,
        (FormAction::Preview, _, Some(t)) if t.at > now => Publish::At(t.at),
        (FormAction::Preview, ..) => Publish::Now,
    };
    let prepared = prepare_release_edit(store, existing.as_ref(), locked, edit, publish, now)?;
    if action == FormAction::Preview {
        let topics = topic_names(store, &prepared)?;
        let attachments = store.attachments_of_refs(&prepared.draft.attachments)?;
        return Ok(Submitted::Preview {
            prepared,
            topics,
            attachments,
        });
    }
    let (id, _) = store
        .save_newsroom_release(
            existing_id,
            &prepared.draft,
            &prepared.new_topics,
            now,
            authority,
        )
        .map_err(slug_errors)?;
    let release = store.release_by_id(id)?.ok_or(WriteError::NotFound)?;
    Ok(Submitted::Saved {
        id,
        release,
        removed: prepared.removed,
    })
}

/// "Save" on a scheduled release with a time in "Publish at" (the form's
/// default button, what Enter presses): the typed time is the embargo the
/// admin means now (an embargo moved later, say), so the release is
/// rescheduled to it (or refused, if it has passed), never kept silently
/// at the old time. Compared as the form shows times, in the office's
/// zone and to the minute, so an API time with seconds is not moved by a
/// save that did not touch it, nor a time in the hour a clock change
/// repeats.
fn keep_or_reschedule(r: &Release, typed: TypedTime, now: DateTime<Utc>) -> Publish {
    use chrono::Timelike;
    let local = |t: DateTime<Utc>| t.with_timezone(&typed.zone).naive_local();
    let shown = local(r.published_at)
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0));
    let moved = r.state(now) == State::Scheduled && Some(local(typed.at)) != shown;
    if moved {
        Publish::At(typed.at)
    } else {
        Publish::Keep
    }
}

/// The prepared release's topics by name, in its order: stored topics by
/// their name, new ones by the name typed.
fn topic_names(store: &Store, prepared: &PreparedRelease) -> Result<Vec<TopicRef>, StoreError> {
    let stored = store.topics()?;
    Ok(prepared
        .draft
        .topics
        .iter()
        .map(|slug| {
            let name = stored
                .iter()
                .find(|t| t.slug == slug.as_str())
                .map(|t| t.name.clone())
                .or_else(|| {
                    prepared
                        .new_topics
                        .iter()
                        .find(|t| t.slug == *slug)
                        .map(|t| t.name.clone())
                })
                .unwrap_or_else(|| slug.to_string());
            TopicRef {
                slug: slug.to_string(),
                name,
            }
        })
        .collect())
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
        && r.state(now) == State::Public
    {
        draft.updated_at = Some(if content_differs(r, &draft) {
            now
        } else {
            r.updated_at
        });
    }
    let outcome = store
        .save_release(&draft, now, authority)
        .map_err(slug_errors)?;
    let saved = store
        .release_by_slug(draft.slug.as_str())?
        .ok_or(WriteError::NotFound)?;
    Ok((outcome, saved))
}
