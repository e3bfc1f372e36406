//! Accredited journalists: issue one (its private URL is shown once),
//! revoke one, and see who fetched their private feeds when.

use super::forms::FormFields;
use super::views::{self, AdminPage};
use super::{AdminError, CurrentAdmin};
use crate::domain::ValidationError;
use crate::http::routes::{Name, url};
use crate::http::{AppState, blocking, html_response, see_other};
use crate::service::{self, NewAccreditation, WriteError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub struct AccreditationRow {
    pub id: i64,
    pub name: String,
    pub outlet: String,
    pub email: String,
    pub since: String,
    pub revoked: String,
    pub fetches: i64,
    pub last_fetch: String,
}

#[derive(Template)]
#[template(path = "admin/accreditations.html")]
struct AccreditationsPage {
    page: AdminPage,
    rows: Vec<AccreditationRow>,
    /// The private URL just issued: shown this once.
    issued: Option<(String, String)>,
    new_name: String,
    new_outlet: String,
    new_email: String,
    errors: Vec<ValidationError>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AccreditationsQuery {
    #[serde(default)]
    done: String,
}

struct Typed {
    fields: FormFields,
    errors: Vec<ValidationError>,
}

async fn render(
    state: &web::Data<AppState>,
    admin: &CurrentAdmin,
    notice: Option<String>,
    issued: Option<(String, String)>,
    refused: Option<Typed>,
) -> Result<HttpResponse, AdminError> {
    let records = blocking(state, |st| st.store.accreditations()).await??;
    let rows = records
        .into_iter()
        .map(|a| AccreditationRow {
            id: a.id,
            name: a.name,
            outlet: a.outlet,
            email: a.email.unwrap_or_default(),
            since: views::office_time(state, a.created_at),
            revoked: a
                .revoked_at
                .map(|t| views::office_time(state, t))
                .unwrap_or_default(),
            fetches: a.fetches,
            last_fetch: a
                .last_fetch_at
                .map_or_else(|| "never".to_owned(), |t| views::office_time(state, t)),
        })
        .collect();
    let mut page = AdminPage::new(state, "Accredited journalists", Some(admin));
    page.notice = notice;
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if issued.is_some() {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let (fields, errors) = refused.map_or_else(Default::default, |t| (t.fields, t.errors));
    let view = AccreditationsPage {
        page,
        rows,
        issued,
        new_name: fields.get("name").to_owned(),
        new_outlet: fields.get("outlet").to_owned(),
        new_email: fields.get("email").to_owned(),
        errors,
    };
    Ok(html_response(status, view.render()?))
}

pub async fn list(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    query: web::Query<AccreditationsQuery>,
) -> Result<HttpResponse, AdminError> {
    let notice = (query.done == "revoked")
        .then(|| "Accreditation revoked: its private URLs answer 404 from now on.".to_owned());
    render(&state, &admin, notice, None, None).await
}

pub async fn create(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    fields: FormFields,
) -> Result<HttpResponse, AdminError> {
    let now = state.clock.now();
    let f = fields.clone();
    let result = blocking(&state, move |st| {
        let new = NewAccreditation::parse(f.get("name"), f.get("outlet"), Some(f.get("email")))?;
        let token = service::accredit(&st.store, &new, now)?;
        Ok::<_, WriteError>((new.name, token))
    })
    .await?;
    let refuse = |errors| Typed {
        fields: fields.clone(),
        errors,
    };
    match result {
        Ok((name, token)) => {
            let link = service::private_base_url(&state.site.base_url, &token);
            render(&state, &admin, None, Some((name, link)), None).await
        }
        Err(WriteError::Invalid(errors)) => {
            render(&state, &admin, None, None, Some(refuse(errors))).await
        }
        Err(WriteError::Exists(what)) => {
            let errors = vec![ValidationError::new(
                "name",
                format!("{what} exists; revoke it first to issue a new URL"),
            )];
            render(&state, &admin, None, None, Some(refuse(errors))).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    state: web::Data<AppState>,
    _admin: CurrentAdmin,
    id: web::Path<i64>,
) -> Result<HttpResponse, AdminError> {
    let now = state.clock.now();
    let id = id.into_inner();
    blocking(&state, move |st| st.store.revoke_accreditation_id(id, now)).await??;
    Ok(see_other(&format!(
        "{}?done=revoked",
        url(Name::Accreditations, &[])
    )))
}
