//! Retracting a release (with a confirmation page) and restoring it.

use crate::admin::forms::FormFields;
use crate::admin::views::AdminPage;
use crate::admin::{AdminError, CurrentAdmin};
use crate::domain::Status;
use crate::http::blocking;
use crate::http::routes::{Name, url};
use crate::http::{AppState, html_response, see_other};
use crate::service;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

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
    let r = blocking(&state, move |st| st.store.release_by_id(id))
        .await??
        .ok_or(AdminError::NotFound)?;
    if r.status != Status::Published {
        return Ok(see_other(&url(Name::EditRelease, &[&id.to_string()])));
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
    blocking(&state, move |st| {
        service::retract_release(&st.store, id, &note, now)
    })
    .await??;
    let edit = url(Name::EditRelease, &[&id.to_string()]);
    Ok(see_other(&format!("{edit}?done=retracted")))
}

pub async fn restore(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AdminError> {
    let id = id.into_inner();
    let now = state.clock.now();
    blocking(&state, move |st| {
        service::restore_release(&st.store, id, now)
    })
    .await??;
    let edit = url(Name::EditRelease, &[&id.to_string()]);
    Ok(see_other(&format!("{edit}?done=restored")))
}
