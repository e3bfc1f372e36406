//! The release form: rendering it for a new or stored release, with its
//! buttons, the schedule note, messages beside their fields and a preview.

use super::done_message;
use crate::admin::forms::FormFields;
use crate::admin::views::{self, AdminPage, Choice};
use crate::admin::{AdminError, CurrentAdmin};
use crate::domain::attachment::{AttachmentInput, MediaType, Sha256Hex};
use crate::domain::{Lang, MediaContactInput, Removed, State, ValidationError};
use crate::http::blocking;
use crate::http::release_view::ReleaseView;
use crate::http::routes::{Name, url};
use crate::http::{AppState, html_response};
use crate::model::Release;
use crate::service::ReleaseEdit;
use crate::store::MediaRecord;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub struct Button {
    pub action: &'static str,
    pub label: String,
    pub primary: bool,
}

/// What the form knows about the stored release it edits.
pub struct ExistingView {
    pub id: i64,
    pub status: &'static str,
    pub status_line: String,
    pub slug: String,
    pub slug_locked: bool,
    pub public_url: Option<String>,
    pub retracted: bool,
    pub published: bool,
}

/// The release exactly as readers will get it, and the address it will
/// have.
pub struct Preview {
    pub address: String,
    pub r: ReleaseView,
}

#[derive(Template)]
#[template(path = "admin/form.html")]
struct FormPage {
    page: AdminPage,
    heading: String,
    action_url: String,
    v: ReleaseEdit,
    schedule: String,
    topics: Vec<Choice>,
    langs: Vec<Choice>,
    dir: &'static str,
    errors: Vec<ValidationError>,
    existing: Option<ExistingView>,
    /// The release as readers will get it, and its address.
    preview: Option<ReleaseView>,
    preview_address: String,
    buttons: Vec<Button>,
    office_tz: String,
    /// When a typed time would publish it, in both zones, and how long
    /// until then.
    schedule_note: Option<String>,
    /// What the sanitiser removed from the body, as a sentence.
    sanitiser_report: Option<String>,
    attachments: Vec<AttachmentRow>,
    /// No attachment is the lead image.
    no_lead: bool,
    has_images: bool,
    /// `media_max_bytes`, for people.
    max_file: String,
}

impl FormPage {
    /// The message for one field, if it has one.
    fn error(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(ValidationError::sentence)
    }

    /// Every message for one field.
    fn errors_for(&self, field: &str) -> Vec<String> {
        self.errors
            .iter()
            .filter(|e| e.field == field)
            .map(ValidationError::sentence)
            .collect()
    }

    /// The media contact rows: those typed or stored, then
    /// [`BLANK_CONTACT_ROWS`] empty ones; a row a message names (`[0] has
    /// no name`: the first row) carries it.
    fn contact_rows(&self) -> Vec<ContactRow> {
        let typed = self.v.media_contacts.as_deref().unwrap_or_default();
        typed
            .iter()
            .filter(|c| !c.is_blank())
            .cloned()
            .chain(std::iter::repeat_n(
                MediaContactInput::default(),
                BLANK_CONTACT_ROWS,
            ))
            .enumerate()
            .map(|(i, c)| ContactRow {
                n: i + 1,
                error: self
                    .errors
                    .iter()
                    .filter(|e| e.field == "media_contacts")
                    .find_map(|e| e.message.strip_prefix(&format!("[{i}] ")))
                    .map(|m| contact_message(i + 1, m)),
                name: c.name,
                role: c.role.unwrap_or_default(),
                email: c.email.unwrap_or_default(),
                phone: c.phone.unwrap_or_default(),
            })
            .collect()
    }

    /// Messages about the contacts as a whole (not one row's).
    fn contacts_errors(&self) -> Vec<String> {
        self.errors
            .iter()
            .filter(|e| e.field == "media_contacts" && !e.message.starts_with('['))
            .map(ValidationError::sentence)
            .collect()
    }

    /// Messages for fields the form has no place for.
    fn other_errors(&self) -> Vec<&ValidationError> {
        const PLACED: &[&str] = &[
            "slug",
            "title",
            "summary",
            "body",
            "organization",
            "department",
            "dateline",
            "lang",
            "topics",
            "new_topics",
            "schedule",
            "correction_note",
            "translation_of",
            "attachments",
            "media_contacts",
            "notes_to_editors",
        ];
        self.errors
            .iter()
            .filter(|e| !PLACED.contains(&e.field))
            .collect()
    }
}

/// Empty media contact rows the form always offers (more after a save).
const BLANK_CONTACT_ROWS: usize = 2;

/// A message about contact row `n`, naming it: "Contact 2 has no name",
/// "Contact 1: email "x" is not an address like press@example.org".
fn contact_message(n: usize, message: &str) -> String {
    if message.starts_with("has ") {
        format!("Contact {n} {message}.")
    } else {
        format!("Contact {n}: {message}.")
    }
}

/// One media contact row of the form (1-based `n`).
pub struct ContactRow {
    pub n: usize,
    pub name: String,
    pub role: String,
    pub email: String,
    pub phone: String,
    pub error: Option<String>,
}

/// What a form render starts from.
#[derive(Default)]
pub(crate) struct FormInput {
    pub(crate) id: Option<i64>,
    pub(crate) edit: ReleaseEdit,
    pub(crate) schedule: String,
    pub(crate) errors: Vec<ValidationError>,
    pub(crate) notice: Option<String>,
    pub(crate) preview: Option<Preview>,
    /// "Publish now" was pressed with a future time typed: ask which.
    pub(crate) confirm_publish: bool,
    pub(crate) sanitiser_report: Option<String>,
}

/// The release form's fields, as the service takes them (repeated
/// `topics` kept in order). The fuzz target `form_decoding` drives it.
pub fn edit_from_fields(f: &FormFields) -> ReleaseEdit {
    ReleaseEdit {
        slug: f.get("slug").to_owned(),
        title: f.get("title").to_owned(),
        summary: f.get("summary").to_owned(),
        body: f.get("body").to_owned(),
        organization: f.get("organization").to_owned(),
        department: f.get("department").to_owned(),
        dateline: f.get("dateline").to_owned(),
        lang: f.get("lang").to_owned(),
        topics: f.all("topics"),
        new_topics: f.get("new_topics").to_owned(),
        correction_note: f.get("correction_note").to_owned(),
        translation_of: f.get("translation_of").to_owned(),
        attachments: attachments_from_fields(f),
        media_contacts: contacts_from_fields(f),
        notes_to_editors: (!f.get("furniture_listed").is_empty())
            .then(|| f.get("notes_to_editors").to_owned()),
    }
}

/// The form's media contact rows: `contact_name`, `contact_role`,
/// `contact_email`, `contact_phone`, repeated in row order (every row sends
/// all four); rows with every field blank are dropped, so a message's
/// `[0]` is the first row shown again. `None` when the form has no contact
/// rows (`furniture_listed`): the stored ones stay.
fn contacts_from_fields(f: &FormFields) -> Option<Vec<MediaContactInput>> {
    if f.get("furniture_listed").is_empty() {
        return None;
    }
    let (names, roles, emails, phones) = (
        f.all("contact_name"),
        f.all("contact_role"),
        f.all("contact_email"),
        f.all("contact_phone"),
    );
    let rows = names
        .len()
        .max(roles.len())
        .max(emails.len())
        .max(phones.len());
    let at = |list: &[String], i: usize| list.get(i).cloned().filter(|s| !s.trim().is_empty());
    Some(
        (0..rows)
            .map(|i| MediaContactInput {
                name: at(&names, i).unwrap_or_default(),
                role: at(&roles, i),
                email: at(&emails, i),
                phone: at(&phones, i),
            })
            .filter(|c| !c.is_blank())
            .collect(),
    )
}

/// The form's attachment rows: `attachment` (each file's SHA-256, in the
/// order listed; files just uploaded come last), with `alt.{sha}`,
/// `caption.{sha}`, `order.{sha}` (a number; the list is sorted by it),
/// `lead` (the lead image's hash) and `remove` (hashes to drop). `None`
/// when the form has no attachment list (`attachments_listed`): the
/// stored ones stay.
fn attachments_from_fields(f: &FormFields) -> Option<Vec<AttachmentInput>> {
    let listed = f.all("attachment");
    if f.get("attachments_listed").is_empty() && listed.is_empty() {
        return None;
    }
    let removed = f.all("remove");
    let lead = f.get("lead");
    let mut rows: Vec<(i64, usize, AttachmentInput)> = Vec::new();
    for (i, sha) in listed.into_iter().enumerate() {
        if removed.contains(&sha) || rows.iter().any(|(_, _, a)| a.sha256 == sha) {
            continue;
        }
        // Unnumbered (just uploaded) or unreadable: after the numbered ones.
        let order = f
            .get(&format!("order.{sha}"))
            .trim()
            .parse::<i64>()
            .unwrap_or(i64::MAX);
        let text = |name: &str| Some(f.get(&format!("{name}.{sha}")).to_owned());
        rows.push((
            order,
            i,
            AttachmentInput {
                caption: text("caption"),
                alt: text("alt"),
                lead: !lead.is_empty() && lead == sha,
                sha256: sha,
            },
        ));
    }
    rows.sort_by_key(|(order, i, _)| (*order, *i));
    Some(rows.into_iter().map(|(_, _, a)| a).collect())
}

fn edit_from_release(r: &Release, body_source: Option<String>) -> ReleaseEdit {
    ReleaseEdit {
        slug: r.slug.clone(),
        title: r.title.clone(),
        summary: r.summary.clone().unwrap_or_default(),
        body: body_source.unwrap_or_else(|| r.body_html.clone()),
        organization: r.organization.clone(),
        department: r.department.clone().unwrap_or_default(),
        dateline: r.dateline.clone().unwrap_or_default(),
        lang: r.lang.clone(),
        topics: r.topics.iter().map(|t| t.slug.clone()).collect(),
        new_topics: String::new(),
        correction_note: r.correction_note.clone().unwrap_or_default(),
        translation_of: r.translation_of.clone().unwrap_or_default(),
        attachments: Some(
            r.attachments
                .iter()
                .map(|a| AttachmentInput {
                    sha256: a.sha256.clone(),
                    caption: a.caption.clone(),
                    alt: a.alt.clone(),
                    lead: a.lead,
                })
                .collect(),
        ),
        media_contacts: Some(r.media_contacts.iter().map(|c| c.to_input()).collect()),
        notes_to_editors: r.notes_to_editors.clone(),
    }
}

#[cfg(test)]
mod contact_tests {
    use super::*;

    #[test]
    fn contact_rows_are_read_in_order_and_blank_rows_dropped() {
        let f = FormFields::parse(
            b"furniture_listed=1&contact_name=Ada&contact_role=&contact_email=a%40b.org&contact_phone=\
              &contact_name=&contact_role=&contact_email=&contact_phone=\
              &contact_name=&contact_role=&contact_email=&contact_phone=020+7946+0001\
              &notes_to_editors=Hi",
        );
        let list = contacts_from_fields(&f).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name, "Ada");
        assert_eq!(list[0].role, None);
        assert_eq!(list[1].phone.as_deref(), Some("020 7946 0001"));
        assert_eq!(edit_from_fields(&f).notes_to_editors.as_deref(), Some("Hi"));
        // A form without the rows keeps what is stored.
        let f = FormFields::parse(b"title=x");
        assert_eq!(contacts_from_fields(&f), None);
        assert_eq!(edit_from_fields(&f).notes_to_editors, None);
    }
}

/// One attachment as the form shows it.
pub struct AttachmentRow {
    pub sha256: String,
    pub filename: String,
    /// "JPEG image", "PDF".
    pub kind: &'static str,
    /// "2.4 MB".
    pub size: String,
    /// "1600 × 900 px" for images.
    pub dims: Option<String>,
    pub is_image: bool,
    pub alt: String,
    pub caption: String,
    /// 1, 2, … as listed.
    pub order: usize,
    pub lead: bool,
    /// An image without alt text (the form says so beside the field).
    pub needs_alt: bool,
}

/// What a form calls a type.
pub(crate) fn kind_of(t: MediaType) -> &'static str {
    match t {
        MediaType::Jpeg => "JPEG image",
        MediaType::Png => "PNG image",
        MediaType::Webp => "WebP image",
        MediaType::Pdf => "PDF",
    }
}

/// A length for people: "812 KB", "2.4 MB", "25 MB" (1 KB = 1024 bytes,
/// as most file managers count, so the 25 MiB cap reads "25 MB").
pub(crate) fn human_size(bytes: u64) -> String {
    const K: u64 = 1024;
    match bytes {
        0..K => format!("{bytes} bytes"),
        K..1_048_576 => format!("{} KB", bytes.div_ceil(K)),
        _ => {
            let mb = format!("{:.1}", bytes as f64 / 1_048_576.0);
            format!("{} MB", mb.strip_suffix(".0").unwrap_or(&mb))
        }
    }
}

/// The rows for a form's attachment list (files the store does not know,
/// e.g. a forged hash, are left out: the save refuses them anyway).
fn attachment_rows(
    list: &[AttachmentInput],
    records: &[Option<MediaRecord>],
) -> Vec<AttachmentRow> {
    list.iter()
        .zip(records)
        .filter_map(|(a, m)| {
            let m = m.as_ref()?;
            let alt = a.alt.clone().or_else(|| m.alt.clone()).unwrap_or_default();
            let is_image = m.media_type.is_image();
            Some(AttachmentRow {
                sha256: a.sha256.clone(),
                filename: m.filename.clone(),
                kind: kind_of(m.media_type),
                size: human_size(m.length),
                dims: m.width.zip(m.height).map(|(w, h)| format!("{w} × {h} px")),
                is_image,
                needs_alt: is_image && alt.trim().is_empty(),
                alt,
                caption: a
                    .caption
                    .clone()
                    .or_else(|| m.caption.clone())
                    .unwrap_or_default(),
                order: 0,
                lead: a.lead,
            })
        })
        .enumerate()
        .map(|(i, mut row)| {
            row.order = i + 1;
            row
        })
        .collect()
}

/// The form's buttons. The first is what Enter submits, and the primary
/// one is the natural choice: with a future time typed, that is
/// "Schedule for …", and publishing now instead is a separate button that
/// names the time it ignores.
fn buttons_for(status: Option<&str>, future: Option<&str>, confirm: bool) -> Vec<Button> {
    let b = |action, label: &str, primary| Button {
        action,
        label: label.to_owned(),
        primary,
    };
    let draft = match status {
        Some("scheduled") => b("draft", "Back to draft", false),
        _ => b("draft", "Save draft", false),
    };
    match (status, future) {
        (Some("published"), _) => vec![
            b("save", "Save changes", true),
            b("preview", "Preview", false),
        ],
        (Some("retracted"), _) => vec![b("save", "Save", true), b("preview", "Preview", false)],
        (Some("scheduled"), _) if !confirm => vec![
            b("save", "Save (stays scheduled)", true),
            b("schedule", "Reschedule", false),
            b("publish", "Publish now", false),
            draft,
            b("preview", "Preview", false),
        ],
        (_, Some(at)) => vec![
            b("schedule", &format!("Schedule for {at}"), true),
            draft,
            b("publish-now", &format!("Publish now, not at {at}"), false),
            b("preview", "Preview", false),
        ],
        (_, None) => vec![
            draft,
            b("publish", "Publish now", true),
            b("schedule", "Schedule", false),
            b("preview", "Preview", false),
        ],
    }
}

/// Renders the form for a new (`id` None) or stored release.
pub(crate) async fn render_form(
    state: &web::Data<AppState>,
    admin: &CurrentAdmin,
    input: FormInput,
    status: StatusCode,
) -> Result<HttpResponse, AdminError> {
    let id = input.id;
    let now = state.clock.now();
    let listed = input.edit.attachments.clone();
    let (topics, existing, attachments) = blocking(state, move |st| -> Result<_, AdminError> {
        let topics = st.store.topics()?;
        let existing = match id {
            Some(id) => {
                let r = st.store.release_by_id(id)?.ok_or(AdminError::NotFound)?;
                let locked = st.store.release_slug_locked(id, now)?;
                Some((r, locked))
            }
            None => None,
        };
        // A form that did not list attachments (kept from an older page)
        // shows the stored ones, which its save keeps.
        let list = match (listed, &existing) {
            (Some(list), _) => list,
            (None, Some((r, _))) => edit_from_release(r, None).attachments.unwrap_or_default(),
            (None, None) => Vec::new(),
        };
        let records = list
            .iter()
            .map(|a| match Sha256Hex::parse(&a.sha256) {
                Some(sha) => st.store.media(&sha),
                None => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((topics, existing, attachment_rows(&list, &records)))
    })
    .await??;
    let existing = existing.map(|(r, locked)| {
        let status = r.state(now);
        let status_line = match status {
            State::Draft => "Draft: not published.".to_owned(),
            State::Scheduled => format!(
                "Scheduled: appears by itself at {}.",
                views::going_out(state, r.published_at, now)
            ),
            State::Public => format!(
                "Published {}{}.",
                views::office_time(state, r.published_at),
                if r.is_updated() {
                    format!(", updated {}", views::office_time(state, r.updated_at))
                } else {
                    String::new()
                }
            ),
            State::Retracted => {
                "Retracted: it is in no feed, and its page shows the retraction notice.".to_owned()
            }
        };
        ExistingView {
            id: r.id,
            status: status.as_str(),
            status_line,
            public_url: (status == State::Public).then(|| url(Name::Release, &[&r.slug])),
            slug: r.slug,
            slug_locked: locked,
            retracted: status == State::Retracted,
            published: status == State::Public,
        }
    });
    let v = input.edit;
    let mut topic_choices: Vec<Choice> = topics
        .iter()
        .map(|t| Choice {
            value: t.slug.clone(),
            label: t.name.clone(),
            selected: v.topics.contains(&t.slug),
        })
        .collect();
    // A checked topic deleted meanwhile still shows, so nothing is lost.
    for slug in &v.topics {
        if !topics.iter().any(|t| &t.slug == slug) {
            topic_choices.push(Choice {
                value: slug.clone(),
                label: slug.clone(),
                selected: true,
            });
        }
    }
    let dir = match Lang::parse(&v.lang) {
        Ok(l) if l.is_rtl() => "rtl",
        _ => "auto",
    };
    let heading = match &existing {
        Some(_) => "Edit release".to_owned(),
        None => "New release".to_owned(),
    };
    let action_url = match input.id {
        Some(id) => url(Name::UpdateRelease, &[&id.to_string()]),
        None => url(Name::CreateRelease, &[]),
    };
    let future = views::parse_office_time(state, &input.schedule)
        .ok()
        .filter(|t| *t > now);
    let status_name = existing.as_ref().map(|e| e.status);
    let schedule_note = future.map(|t| match status_name {
        Some("scheduled") => format!("Goes out {}.", views::going_out(state, t, now)),
        _ => format!(
            "Planned for {}. Not binding until you press “Schedule”.",
            views::going_out(state, t, now)
        ),
    });
    let buttons = buttons_for(
        status_name,
        future.map(|t| views::office_time(state, t)).as_deref(),
        input.confirm_publish,
    );
    let mut page = AdminPage::new(state, heading.clone(), Some(admin));
    page.notice = input.notice;
    page.alert = !input.errors.is_empty() || status != StatusCode::OK || input.confirm_publish;
    let body = FormPage {
        page,
        heading,
        action_url,
        langs: views::language_choices(&v.lang),
        topics: topic_choices,
        dir,
        schedule: input.schedule,
        errors: input.errors,
        buttons,
        existing,
        preview_address: input
            .preview
            .as_ref()
            .map(|p| p.address.clone())
            .unwrap_or_default(),
        preview: input.preview.map(|p| p.r),
        office_tz: state.settings.tz().name().to_owned(),
        schedule_note,
        sanitiser_report: input.sanitiser_report,
        no_lead: !attachments.iter().any(|a| a.lead),
        has_images: attachments.iter().any(|a| a.is_image),
        attachments,
        max_file: human_size(state.settings.media_max_bytes),
        v,
    }
    .render()?;
    Ok(html_response(status, body))
}

pub async fn new_form(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
) -> Result<HttpResponse, AdminError> {
    let edit = ReleaseEdit {
        organization: state.settings.organization.clone(),
        lang: state.settings.site_lang.clone(),
        ..Default::default()
    };
    let input = FormInput {
        edit,
        ..Default::default()
    };
    render_form(&state, &admin, input, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    done: String,
    /// What the sanitiser removed at the save that led here
    /// ([`Removed::to_query`]).
    #[serde(default)]
    removed: String,
}

/// The report shown after a save or preview that lost something.
pub(super) fn sanitiser_report(removed: &Removed, saved: bool) -> Option<String> {
    let what = removed.sentence()?;
    Some(if saved {
        format!(
            "Unsafe markup was taken out of the body: {what}. The body below is as stored, \
             without it."
        )
    } else {
        format!(
            "Unsafe markup is taken out of the body: {what} from the preview below, and \
             will be when you save."
        )
    })
}

pub async fn edit_form(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    id: web::Path<i64>,
    query: web::Query<EditQuery>,
) -> Result<HttpResponse, AdminError> {
    let id = id.into_inner();
    let (release, source) = blocking(&state, move |st| -> Result<_, AdminError> {
        let r = st.store.release_by_id(id)?.ok_or(AdminError::NotFound)?;
        let source = st.store.release_body_source(id)?;
        Ok((r, source))
    })
    .await??;
    let now = state.clock.now();
    // A scheduled release shows its time; a draft its planned time, while
    // that is still ahead.
    let schedule = match release.state(now) {
        State::Scheduled | State::Draft if release.published_at > now => {
            views::office_input_value(&state, release.published_at)
        }
        _ => String::new(),
    };
    let input = FormInput {
        id: Some(id),
        edit: edit_from_release(&release, source),
        schedule,
        notice: done_message(&query.done),
        sanitiser_report: Removed::from_query(&query.removed)
            .and_then(|r| sanitiser_report(&r, true)),
        ..Default::default()
    };
    render_form(&state, &admin, input, StatusCode::OK).await
}

/// The banner over a refused form.
pub(super) const NOT_SAVED: &str = "Nothing was saved: please correct the fields marked below.";
