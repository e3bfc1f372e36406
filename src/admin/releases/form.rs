//! The release form: rendering it for a new or stored release, with its
//! buttons, the schedule note, messages beside their fields and a preview.

use super::done_message;
use crate::admin::forms::FormFields;
use crate::admin::views::{self, AdminPage, Choice};
use crate::admin::{AdminError, CurrentAdmin};
use crate::domain::{Lang, Removed, State, ValidationError};
use crate::http::blocking;
use crate::http::release_view::ReleaseView;
use crate::http::routes::{Name, url};
use crate::http::{AppState, html_response};
use crate::model::Release;
use crate::service::ReleaseEdit;
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
            "translation_of",
        ];
        self.errors
            .iter()
            .filter(|e| !PLACED.contains(&e.field))
            .collect()
    }
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
        translation_of: r.translation_of.clone().unwrap_or_default(),
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
pub(crate) async fn render_form(
    state: &web::Data<AppState>,
    admin: &CurrentAdmin,
    input: FormInput,
    status: StatusCode,
) -> Result<HttpResponse, AdminError> {
    let id = input.id;
    let now = state.clock.now();
    let (topics, existing) = blocking(state, move |st| -> Result<_, AdminError> {
        let topics = st.store.topics()?;
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
