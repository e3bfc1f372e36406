//! A posted release form: the button pressed decides between saving,
//! publishing, scheduling and previewing; a refusal shows the form again
//! with every field as typed.

use super::form::{FormInput, NOT_SAVED, Preview, edit_from_fields, render_form, sanitiser_report};
use crate::admin::forms::FormFields;
use crate::admin::uploads::FormUploads;
use crate::admin::views;
use crate::admin::{AdminError, CurrentAdmin};
use crate::domain::ReleaseDraft;
use crate::domain::{State, ValidationError};
use crate::http::blocking;
use crate::http::release_view::ReleaseView;
use crate::http::routes::{Name, url};
use crate::http::{AppState, see_other};
use crate::model::{Attachment, TopicRef};
use crate::service::{self, FormAction, Publish, Submitted, TypedTime, WriteError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};

pub async fn create(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    fields: FormFields,
    files: FormUploads,
) -> Result<HttpResponse, AdminError> {
    submit(state, admin, None, fields, files).await
}

pub async fn update(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    id: web::Path<i64>,
    fields: FormFields,
    files: FormUploads,
) -> Result<HttpResponse, AdminError> {
    submit(state, admin, Some(id.into_inner()), fields, files).await
}

fn preview_of(
    state: &AppState,
    draft: &ReleaseDraft,
    topics: Vec<TopicRef>,
    attachments: Vec<Attachment>,
    about: Option<String>,
) -> Preview {
    Preview {
        address: state.site.release_url(draft.slug.as_str()),
        r: ReleaseView::of_draft(state, draft, topics, attachments, about),
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
    files: FormUploads,
) -> Result<HttpResponse, AdminError> {
    let now = state.clock.now();
    let edit = edit_from_fields(&fields);
    let schedule = fields.get("schedule").to_owned();
    if !files.refused.is_empty() {
        // Nothing is saved; the files accepted with them are listed in
        // the form already, and the refused ones are named.
        let errors = files
            .refused
            .iter()
            .map(|r| {
                ValidationError::new(
                    "attachments",
                    format!("“{}” was not accepted: {}", r.filename, r.message),
                )
            })
            .collect();
        let input = FormInput {
            id,
            edit,
            schedule,
            errors,
            notice: Some(NOT_SAVED.to_owned()),
            ..Default::default()
        };
        return render_form(&state, &admin, input, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let pressed = fields.get("action").to_owned();
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
    let publish = match (pressed.as_str(), &scheduled_at) {
        (_, Some(Err(message))) if pressed != "preview" => {
            let input = refuse(message.clone());
            return render_form(&state, &admin, input, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        ("draft", t) => Some(Publish::Draft(
            t.as_ref().and_then(|t| t.as_ref().ok()).copied(),
        )),
        ("publish", Some(Ok(t))) | ("publish-now", Some(Ok(t)))
            if *t > now && (pressed == "publish" || !confirmed) =>
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
    let action = match publish {
        Some(p) => FormAction::Save(p),
        None => FormAction::Preview,
    };
    let typed = match &scheduled_at {
        Some(Ok(at)) => Some(TypedTime {
            at: *at,
            zone: state.settings.tz(),
        }),
        _ => None,
    };
    // A preview goes ahead with a "Publish at" it cannot read, and says so
    // beside the field: otherwise the mistake shows only at the save.
    let unreadable_time: Vec<ValidationError> = match scheduled_at {
        Some(Err(message)) => vec![ValidationError::new("schedule", message)],
        _ => Vec::new(),
    };
    let result = blocking(&state, move |st| {
        service::submit_release_edit(&st.store, id, &e, action, typed, now, &authority)
    })
    .await?;
    match result {
        Ok(Submitted::Saved {
            id: saved_id,
            release: r,
            removed,
        }) => {
            let done = match (pressed.as_str(), r.state(now)) {
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
            let edit = url(Name::EditRelease, &[&saved_id.to_string()]);
            Ok(see_other(&format!("{edit}?done={done}{report}")))
        }
        Ok(Submitted::Preview {
            prepared,
            topics,
            attachments,
        }) => {
            let org = prepared.draft.organization.clone();
            let about = blocking(&state, move |st| st.store.organization_about(&org)).await??;
            let preview = preview_of(&state, &prepared.draft, topics, attachments, about);
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
