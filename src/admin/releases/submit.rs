//! A posted release form: the button pressed decides between saving,
//! publishing, scheduling and previewing; a refusal shows the form again
//! with every field as typed.

use super::form::{
    FormInput, NOT_SAVED, PreviewView, edit_from_fields, render_form, sanitiser_report,
};
use crate::admin::forms::FormFields;
use crate::admin::views;
use crate::admin::{AdminError, CurrentAdmin};
use crate::domain::{State, ValidationError};
use crate::http::blocking;
use crate::http::{AppState, see_other};
use crate::service::{self, Publish, WriteError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};

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
    let e = edit.clone();
    let authority = state.tag_authority.clone();
    let typed = schedule.clone();
    // A preview goes ahead with a "Publish at" it cannot read, and says so
    // beside the field: otherwise the mistake shows only at the save.
    let unreadable_time: Vec<ValidationError> = match &scheduled_at {
        Some(Err(message)) => vec![ValidationError::new("schedule", message.clone())],
        _ => Vec::new(),
    };
    let result = blocking(&state, move |st| -> Result<_, WriteError> {
        match publish {
            Some(p) => {
                let p = match (p, id, &scheduled_at) {
                    (Publish::Keep, Some(id), Some(Ok(t))) => {
                        keep_or_reschedule(st, id, &typed, *t, now)?
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
