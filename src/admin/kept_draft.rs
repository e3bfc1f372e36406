//! The kept draft: a release form whose text must survive. Posted after
//! its session lapsed, it is read by the guard (only with that session's
//! CSRF token), travels as hidden fields of the sign-in page, and comes
//! back as the form after the same admin signs in; posted with a stale
//! token, it comes back at once. Either way nothing is saved.

use super::forms::{self, FormFields};
use super::releases::{FormInput, edit_from_fields, render_form};
use super::session::SessionData;
use super::{AdminError, CurrentAdmin, MAX_FORM_BYTES, views};
use crate::http::AppState;
use crate::http::routes::{self, Name};
use actix_web::dev::ServiceRequest;
use actix_web::http::Method;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

/// Form fields of a kept draft travel under this prefix.
const DRAFT_PREFIX: &str = "draft.";

/// A release form posted in a lapsed session: its fields, read only when
/// its CSRF token proves it came from the page this admin had open (a
/// page of another site cannot know the token).
pub async fn rescue(
    req: &mut ServiceRequest,
    data: &SessionData,
) -> Result<Option<FormFields>, AdminError> {
    let fields = forms::read_body(req, MAX_FORM_BYTES).await?;
    Ok(Some(fields).filter(|f| data.csrf_matches(f.get("csrf"))))
}

/// The hidden fields that carry a rescued form on the sign-in page (its
/// CSRF token stays behind: the next page has its own).
pub fn stash_rescued(fields: FormFields) -> Vec<(String, String)> {
    fields
        .0
        .into_iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (format!("{DRAFT_PREFIX}{k}"), v))
        .collect()
}

/// The hidden fields of a draft a sign-in form carries, to show again with
/// that form (when it is refused); empty unless this browser's session was
/// marked for the rescue.
pub fn stash_again(data: &SessionData, fields: &FormFields) -> Vec<(String, String)> {
    if data.rescue.is_none() {
        return Vec::new();
    }
    fields
        .with_prefix(DRAFT_PREFIX)
        .0
        .into_iter()
        .map(|(k, v)| (format!("{DRAFT_PREFIX}{k}"), v))
        .collect()
}

/// Where a stored or kept form posts to: `None` for a new release.
fn form_target(path: &str) -> Option<Option<i64>> {
    let r = routes::find(&Method::POST, path)?;
    match r.name {
        Name::CreateRelease => Some(None),
        Name::UpdateRelease => {
            let id = routes::captures(r.path, path)?.first()?.parse().ok()?;
            Some(Some(id))
        }
        _ => None,
    }
}

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

/// After sign-in: back to the form the expired session interrupted, when
/// the session was marked for rescuing this admin's draft (`rescue`) and
/// the sign-in form carried one.
pub async fn resume_after_sign_in(
    state: &web::Data<AppState>,
    admin: &CurrentAdmin,
    rescue: Option<i64>,
    next: &str,
    fields: &FormFields,
) -> Option<HttpResponse> {
    let draft = fields.with_prefix(DRAFT_PREFIX);
    if rescue != Some(admin.id) || draft.is_empty() {
        return None;
    }
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
