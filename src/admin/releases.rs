//! The release list, the release form (create, edit, preview, schedule),
//! retraction and restoring. Handler shape: read the form, let the service
//! validate and store, redirect; on any error show the form again with
//! every field as typed and each message next to its field.

use super::forms::FormFields;
use super::views::{self, AdminPage, Choice, see_other};
use super::{AdminError, CurrentAdmin, html_response};
use crate::domain::State;
use crate::domain::{Lang, Removed, Status, ValidationError};
use crate::http::AppState;
use crate::model::Release;
use crate::service::{self, Publish, ReleaseEdit, WriteError};
use crate::store::ReleaseFilter;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

const PAGE_SIZE: usize = 25;

// ---------------------------------------------------------------- the list

pub struct ListRow {
    pub id: i64,
    pub title: String,
    pub status: &'static str,
    pub when: String,
    pub lang: String,
    pub dir: &'static str,
    pub topics: String,
    pub public_url: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/list.html")]
struct ListPage {
    page: AdminPage,
    rows: Vec<ListRow>,
    statuses: Vec<Choice>,
    topics: Vec<Choice>,
    langs: Vec<Choice>,
    q: String,
    total: i64,
    page_no: usize,
    pages: usize,
    prev_url: Option<String>,
    next_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<usize>,
    #[serde(default)]
    done: String,
}

fn done_message(done: &str) -> Option<String> {
    let m = match done {
        "draft" => "Draft saved. Readers see nothing of it.",
        "published" => "Published: it is on the site and in the feeds now.",
        "scheduled" => {
            "Scheduled: it appears on the site and in the feeds by itself at the time shown."
        }
        "saved" => "Changes saved.",
        "corrected" => "Correction saved: feeds show the release as updated, with the same id.",
        "retracted" => {
            "Retracted: it has left every feed, and its page shows your retraction notice \
             instead of the release."
        }
        "restored" => "Restored: it is published again.",
        _ => return None,
    };
    Some(m.to_owned())
}

fn list_url(q: &ListQuery, page: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("status", &q.status),
        ("topic", &q.topic),
        ("lang", &q.lang),
        ("q", &q.q),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.append_pair("page", &page.to_string());
    format!("/admin?{}", s.finish())
}

pub async fn list(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AdminError> {
    let q = query.into_inner();
    let now = state.clock.now();
    let filter = ReleaseFilter {
        status: State::parse(&q.status),
        topic: Some(q.topic.clone()),
        lang: Some(q.lang.clone()),
        title: Some(q.q.clone()),
    };
    let page_no = q.page.unwrap_or(1).max(1);
    let st = state.clone();
    let f = filter.clone();
    let ((items, total), topics, langs) = web::block(move || -> Result<_, AdminError> {
        Ok((
            st.store
                .list_releases(&f, now, PAGE_SIZE, (page_no - 1).saturating_mul(PAGE_SIZE))?,
            st.store.topics()?.0,
            st.store.release_languages()?,
        ))
    })
    .await??;
    let rows = items
        .into_iter()
        .map(|r| {
            let status = r.state(now);
            let when = match status {
                State::Draft if r.published_at > now => format!(
                    "created {}; planned for {}",
                    views::office_time(&state, r.created_at),
                    views::going_out(&state, r.published_at, now)
                ),
                State::Draft => {
                    format!("created {}", views::office_time(&state, r.created_at))
                }
                State::Scheduled => {
                    format!("at {}", views::going_out(&state, r.published_at, now))
                }
                _ => views::office_time(&state, r.published_at),
            };
            let lang = r.lang_tag();
            ListRow {
                id: r.id,
                public_url: (status == State::Public).then(|| format!("/releases/{}", r.slug)),
                title: r.title,
                status: status.as_str(),
                when,
                dir: lang.dir(),
                lang: lang.to_string(),
                topics: r
                    .topics
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect();
    let pages = (total.max(0) as usize).div_ceil(PAGE_SIZE).max(1);
    let choice = |value: &str, label: &str, current: &str| Choice {
        value: value.to_owned(),
        label: label.to_owned(),
        selected: value == current,
    };
    let statuses = std::iter::once(choice("", "any status", &q.status))
        .chain(
            State::ALL
                .iter()
                .map(|s| choice(s.as_str(), s.as_str(), &q.status)),
        )
        .collect();
    let topics = std::iter::once(choice("", "any topic", &q.topic))
        .chain(topics.iter().map(|t| choice(&t.slug, &t.name, &q.topic)))
        .collect();
    let langs = std::iter::once(choice("", "any language", &q.lang))
        .chain(langs.iter().map(|l| choice(l, l, &q.lang)))
        .collect();
    let mut page = AdminPage::new(&state, "Releases", Some(&admin));
    page.notice = done_message(&q.done);
    let body = ListPage {
        page,
        rows,
        statuses,
        topics,
        langs,
        total,
        page_no,
        pages,
        prev_url: (page_no > 1).then(|| list_url(&q, page_no - 1)),
        next_url: (page_no < pages).then(|| list_url(&q, page_no + 1)),
        q: q.q,
    }
    .render()?;
    Ok(html_response(StatusCode::OK, body))
}

// ---------------------------------------------------------------- the form

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

/// The release exactly as readers will get it.
pub struct PreviewView {
    /// The address it will have.
    pub address: String,
    pub title: String,
    pub summary: Option<String>,
    pub body_html: String,
    pub organization: String,
    pub department: Option<String>,
    pub dateline: Option<String>,
    pub lang: String,
    pub dir: &'static str,
    pub published_iso: String,
    pub published_display: String,
    pub updated_display: Option<String>,
    pub correction_note: Option<String>,
    pub topics: Vec<String>,
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
    preview: Option<PreviewView>,
    buttons: Vec<Button>,
    office_tz: String,
    /// When a typed time would publish it, in both zones, and how long
    /// until then.
    schedule_note: Option<String>,
    /// What the sanitiser removed from the body, as a sentence.
    sanitiser_report: Option<String>,
}

impl FormPage {
    /// The message for one field, if it has one.
    fn error(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(ValidationError::sentence)
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
        ];
        self.errors
            .iter()
            .filter(|e| !PLACED.contains(&e.field))
            .collect()
    }
}

/// What a form render starts from.
#[derive(Default)]
struct FormInput {
    id: Option<i64>,
    edit: ReleaseEdit,
    schedule: String,
    errors: Vec<ValidationError>,
    notice: Option<String>,
    preview: Option<PreviewView>,
    /// "Publish now" was pressed with a future time typed: ask which.
    confirm_publish: bool,
    sanitiser_report: Option<String>,
}

fn edit_from_fields(f: &FormFields) -> ReleaseEdit {
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
    }
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
    }
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
async fn render_form(
    state: &web::Data<AppState>,
    admin: &CurrentAdmin,
    input: FormInput,
    status: StatusCode,
) -> Result<HttpResponse, AdminError> {
    let st = state.clone();
    let id = input.id;
    let now = state.clock.now();
    let (topics, existing) = web::block(move || -> Result<_, AdminError> {
        let topics = st.store.topics()?.0;
        let existing = match id {
            Some(id) => {
                let r = st.store.release_by_id(id)?.ok_or(AdminError::NotFound)?;
                let locked = st.store.release_slug_locked(id, now)?;
                Some((r, locked))
            }
            None => None,
        };
        Ok((topics, existing))
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
            public_url: (status == State::Public).then(|| format!("/releases/{}", r.slug)),
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
        Some(id) => format!("/admin/releases/{id}/edit"),
        None => "/admin/releases/new".to_owned(),
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
        preview: input.preview,
        office_tz: state.settings.tz().name().to_owned(),
        schedule_note,
        sanitiser_report: input.sanitiser_report,
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
fn sanitiser_report(removed: &Removed, saved: bool) -> Option<String> {
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
    let st = state.clone();
    let (release, source) = web::block(move || -> Result<_, AdminError> {
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

pub async fn create(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    fields: FormFields,
) -> Result<HttpResponse, AdminError> {
    submit(state, admin, None, fields).await
}

pub async fn update(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    id: web::Path<i64>,
    fields: FormFields,
) -> Result<HttpResponse, AdminError> {
    submit(state, admin, Some(id.into_inner()), fields).await
}

fn preview_of(
    state: &AppState,
    draft: &crate::domain::ReleaseDraft,
    topic_names: &[(String, String)],
) -> PreviewView {
    let lang = draft.lang.clone();
    let updated = draft.updated_at.filter(|u| *u > draft.published_at);
    PreviewView {
        address: format!(
            "{}/releases/{}",
            state.settings.base_url().trim_end_matches('/'),
            draft.slug
        ),
        title: draft.title.as_str().to_owned(),
        summary: draft.summary.clone(),
        body_html: draft.body_html.clone(),
        organization: draft.organization.clone(),
        department: draft.department.clone(),
        dateline: draft.dateline.clone(),
        dir: lang.dir(),
        lang: lang.to_string(),
        published_iso: draft.published_at.to_rfc3339(),
        // The public page's own format: the preview shows what readers get.
        published_display: crate::http::pages::display_time(state, draft.published_at),
        updated_display: updated.map(|u| crate::http::pages::display_time(state, u)),
        correction_note: draft.correction_note.clone(),
        topics: draft
            .topics
            .iter()
            .map(|s| {
                topic_names
                    .iter()
                    .find(|(slug, _)| slug == s.as_str())
                    .map_or_else(|| s.to_string(), |(_, name)| name.clone())
            })
            .collect(),
    }
}

/// Where a stored or kept form posts to: `None` for a new release.
fn form_target(path: &str) -> Option<Option<i64>> {
    if path == "/admin/releases/new" {
        return Some(None);
    }
    let id = path
        .strip_prefix("/admin/releases/")?
        .strip_suffix("/edit")?
        .parse()
        .ok()?;
    Some(Some(id))
}

/// The "Publish at" field as typed: empty, a time, or what is wrong with it.
fn typed_schedule(state: &AppState, typed: &str) -> Option<Result<DateTime<Utc>, String>> {
    (!typed.trim().is_empty()).then(|| views::parse_office_time(state, typed))
}

async fn submit(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    id: Option<i64>,
    fields: FormFields,
) -> Result<HttpResponse, AdminError> {
    let now = state.clock.now();
    let edit = edit_from_fields(&fields);
    let schedule = fields.get("schedule").to_owned();
    let action = fields.get("action").to_owned();
    let scheduled_at = typed_schedule(&state, &schedule);
    // "Publish now, not at …" names the time the page showed; if the field
    // says something else now, the admin has not decided about that time.
    let confirmed = fields.get("confirm_schedule").trim() == schedule.trim();
    let refuse = |message: String| FormInput {
        id,
        edit: edit.clone(),
        schedule: schedule.clone(),
        errors: vec![ValidationError::new("schedule", message)],
        notice: Some(NOT_SAVED.to_owned()),
        ..Default::default()
    };
    let publish = match (action.as_str(), &scheduled_at) {
        (_, Some(Err(message))) if action != "preview" => {
            let input = refuse(message.clone());
            return render_form(&state, &admin, input, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        ("draft", t) => Some(Publish::Draft(
            t.as_ref().and_then(|t| t.as_ref().ok()).copied(),
        )),
        ("publish", Some(Ok(t))) | ("publish-now", Some(Ok(t)))
            if *t > now && (action == "publish" || !confirmed) =>
        {
            let input = FormInput {
                id,
                edit,
                schedule,
                notice: Some(format!(
                    "Not published: “Publish at” says {}. Press “Schedule for {}” to publish \
                     it then, or “Publish now, not at {}” to publish it at once. Nothing was \
                     saved yet.",
                    views::going_out(&state, *t, now),
                    views::office_time(&state, *t),
                    views::office_time(&state, *t),
                )),
                confirm_publish: true,
                ..Default::default()
            };
            return render_form(&state, &admin, input, StatusCode::OK).await;
        }
        ("publish" | "publish-now", _) => Some(Publish::Now),
        ("schedule", Some(Ok(t))) => Some(Publish::At(*t)),
        ("schedule", _) => {
            let input = refuse("choose the date and time to publish at".to_owned());
            return render_form(&state, &admin, input, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        ("preview", _) => None,
        _ => Some(Publish::Keep),
    };
    let st = state.clone();
    let e = edit.clone();
    let authority = state.tag_authority.clone();
    let typed = schedule.clone();
    // A preview goes ahead with a "Publish at" it cannot read, and says so
    // beside the field: otherwise the mistake shows only at the save.
    let unreadable_time: Vec<ValidationError> = match &scheduled_at {
        Some(Err(message)) => vec![ValidationError::new("schedule", message.clone())],
        _ => Vec::new(),
    };
    let result = web::block(move || -> Result<_, WriteError> {
        match publish {
            Some(p) => {
                let p = match (p, id, &scheduled_at) {
                    (Publish::Keep, Some(id), Some(Ok(t))) => {
                        keep_or_reschedule(&st, id, &typed, *t, now)?
                    }
                    (p, ..) => p,
                };
                let (saved, removed) =
                    service::save_release_edit(&st.store, id, &e, p, now, &authority)?;
                let r = st.store.release_by_id(saved)?.ok_or(WriteError::NotFound)?;
                Ok(Ok((saved, r, removed)))
            }
            None => {
                let existing = match id {
                    Some(id) => Some(st.store.release_by_id(id)?.ok_or(WriteError::NotFound)?),
                    None => None,
                };
                let locked = match id {
                    Some(id) => st.store.release_slug_locked(id, now)?,
                    None => false,
                };
                let visible = existing
                    .as_ref()
                    .is_some_and(|r| r.state(now) == State::Public);
                let p = match scheduled_at {
                    _ if visible => Publish::Keep,
                    Some(Ok(t)) if t > now => Publish::At(t),
                    _ => Publish::Now,
                };
                let prepared = service::prepare_release_edit(
                    &st.store,
                    existing.as_ref(),
                    locked,
                    &e,
                    p,
                    now,
                )?;
                let names = st
                    .store
                    .topics()?
                    .0
                    .into_iter()
                    .map(|t| (t.slug, t.name))
                    .chain(
                        prepared
                            .new_topics
                            .iter()
                            .map(|t| (t.slug.to_string(), t.name.clone())),
                    )
                    .collect::<Vec<_>>();
                Ok(Err((prepared, names)))
            }
        }
    })
    .await?;
    match result {
        Ok(Ok((saved_id, r, removed))) => {
            let done = match (action.as_str(), r.state(now)) {
                (_, State::Draft) => "draft",
                (_, State::Scheduled) => "scheduled",
                ("publish" | "publish-now", State::Public) => "published",
                (_, State::Public) if r.is_updated() => "corrected",
                _ => "saved",
            };
            let report = if removed.is_empty() {
                String::new()
            } else {
                format!("&removed={}", removed.to_query())
            };
            Ok(see_other(&format!(
                "/admin/releases/{saved_id}/edit?done={done}{report}"
            )))
        }
        Ok(Err((prepared, names))) => {
            let preview = preview_of(&state, &prepared.draft, &names);
            let input = FormInput {
                id,
                edit,
                schedule,
                notice: Some(
                    "Preview below: this is exactly what readers will get. Nothing is saved yet."
                        .to_owned(),
                ),
                preview: Some(preview),
                sanitiser_report: sanitiser_report(&prepared.removed, false),
                errors: unreadable_time,
                ..Default::default()
            };
            render_form(&state, &admin, input, StatusCode::OK).await
        }
        Err(WriteError::Invalid(errors)) => {
            let input = FormInput {
                id,
                edit,
                schedule,
                errors,
                notice: Some(NOT_SAVED.to_owned()),
                ..Default::default()
            };
            render_form(&state, &admin, input, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// "Save (stays scheduled)" — the default button, what Enter presses —
/// with another time typed in "Publish at": the typed time is the embargo
/// the admin means now (an embargo moved later, say), so the release is
/// rescheduled to it (or refused, if it has passed), never kept silently at
/// the old time. Compared as the form shows times, to the minute, so an API
/// time with seconds is not moved by a save that did not touch it.
fn keep_or_reschedule(
    state: &AppState,
    id: i64,
    typed: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Publish, WriteError> {
    let r = state.store.release_by_id(id)?.ok_or(WriteError::NotFound)?;
    let moved = r.state(now) == State::Scheduled
        && typed.trim() != views::office_input_value(state, r.published_at);
    Ok(if moved {
        Publish::At(at)
    } else {
        Publish::Keep
    })
}

/// The banner over a refused form.
const NOT_SAVED: &str = "Nothing was saved: please correct the fields marked below.";

/// Shows a kept form again (after sign-in, or after a stale token), with
/// everything as typed and nothing saved.
async fn render_kept(
    state: &web::Data<AppState>,
    admin: &CurrentAdmin,
    target: Option<i64>,
    fields: &FormFields,
    notice: &str,
    status: StatusCode,
) -> Result<HttpResponse, AdminError> {
    let input = FormInput {
        id: target,
        edit: edit_from_fields(fields),
        schedule: fields.get("schedule").to_owned(),
        notice: Some(notice.to_owned()),
        ..Default::default()
    };
    render_form(state, admin, input, status).await
}

/// After sign-in: back to the form the expired session interrupted.
pub async fn resume_draft(
    state: &web::Data<AppState>,
    admin: &CurrentAdmin,
    next: &str,
    draft: FormFields,
) -> Option<HttpResponse> {
    let target = form_target(next)?;
    let res = render_kept(
        state,
        admin,
        target,
        &draft,
        "You are signed in again. Nothing was saved yet: check your text below and press \
         the button again.",
        StatusCode::OK,
    )
    .await;
    Some(res.unwrap_or_else(AdminError::into_response))
}

/// A release form posted with a wrong or missing CSRF token: nothing is
/// saved, and the text comes back.
pub async fn stale_token(
    req: &actix_web::dev::ServiceRequest,
    state: &web::Data<AppState>,
    admin: &CurrentAdmin,
    fields: FormFields,
) -> HttpResponse {
    let Some(target) = form_target(req.path()) else {
        return views::error_page(StatusCode::FORBIDDEN, "This form was out of date.");
    };
    render_kept(
        state,
        admin,
        target,
        &fields,
        "This form was out of date (its security token did not match), so nothing was \
         saved. Your text is below: press the button again.",
        StatusCode::FORBIDDEN,
    )
    .await
    .unwrap_or_else(AdminError::into_response)
}

// ---------------------------------------------------------------- retract

#[derive(Template)]
#[template(path = "admin/retract.html")]
struct RetractPage {
    page: AdminPage,
    id: i64,
    title: String,
    slug: String,
}

pub async fn retract_form(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    id: web::Path<i64>,
) -> Result<HttpResponse, AdminError> {
    let id = id.into_inner();
    let st = state.clone();
    let r = web::block(move || st.store.release_by_id(id))
        .await??
        .ok_or(AdminError::NotFound)?;
    if r.status != Status::Published {
        return Ok(see_other(&format!("/admin/releases/{id}/edit")));
    }
    let body = RetractPage {
        page: AdminPage::new(&state, "Retract release", Some(&admin)),
        id,
        title: r.title,
        slug: r.slug,
    }
    .render()?;
    Ok(html_response(StatusCode::OK, body))
}

pub async fn retract(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    fields: FormFields,
) -> Result<HttpResponse, AdminError> {
    let id = id.into_inner();
    let now = state.clock.now();
    let note = fields.get("retraction_note").to_owned();
    let st = state.clone();
    web::block(move || service::retract_release(&st.store, id, &note, now)).await??;
    Ok(see_other(&format!(
        "/admin/releases/{id}/edit?done=retracted"
    )))
}

pub async fn restore(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AdminError> {
    let id = id.into_inner();
    let now = state.clock.now();
    let st = state.clone();
    web::block(move || service::restore_release(&st.store, id, now)).await??;
    Ok(see_other(&format!(
        "/admin/releases/{id}/edit?done=restored"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_forms_know_where_they_post() {
        assert_eq!(form_target("/admin/releases/new"), Some(None));
        assert_eq!(form_target("/admin/releases/12/edit"), Some(Some(12)));
        assert_eq!(form_target("/admin/releases/x/edit"), None);
        assert_eq!(form_target("/admin/topics"), None);
    }
}
