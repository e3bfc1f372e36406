//! Organisations' "About" boilerplate (README "Press-release furniture"):
//! a setting per organisation, shown after the notes to editors of each of
//! its releases, on pages and in feeds.

use super::forms::FormFields;
use super::views::AdminPage;
use super::{AdminError, CurrentAdmin};
use crate::domain::ValidationError;
use crate::domain::furniture::{MAX_ABOUT_BYTES, validate_about};
use crate::http::AppState;
use crate::http::blocking;
use crate::http::routes::{Name, url};
use crate::http::{html_response, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub struct OrganizationRow {
    /// Its place in the list (for element ids).
    pub n: usize,
    pub name: String,
    pub about: String,
    pub releases: i64,
    /// Messages for this row's form, when it was just refused.
    pub errors: Vec<ValidationError>,
}

#[derive(Template)]
#[template(path = "admin/organizations.html")]
struct OrganizationsPage {
    page: AdminPage,
    rows: Vec<OrganizationRow>,
    /// The form for an organisation no release names yet.
    new_name: String,
    new_about: String,
    new_errors: Vec<ValidationError>,
    max_kib: usize,
}

#[derive(Debug, Default, Deserialize)]
pub struct OrganizationsQuery {
    #[serde(default)]
    done: String,
}

async fn render(
    state: &web::Data<AppState>,
    admin: &CurrentAdmin,
    notice: Option<String>,
    refused: Option<(FormFields, Vec<ValidationError>)>,
) -> Result<HttpResponse, AdminError> {
    let listed = blocking(state, |st| st.store.organizations()).await??;
    let mut rows: Vec<OrganizationRow> = listed
        .into_iter()
        .map(|o| OrganizationRow {
            n: 0,
            name: o.name,
            about: o.about.unwrap_or_default(),
            releases: o.releases,
            errors: Vec::new(),
        })
        .collect();
    // The configured default organisation, even before its first release.
    let default = state.settings.organization.clone();
    if !default.trim().is_empty() && !rows.iter().any(|r| r.name == default) {
        rows.insert(
            0,
            OrganizationRow {
                n: 0,
                name: default,
                about: String::new(),
                releases: 0,
                errors: Vec::new(),
            },
        );
    }
    for (i, r) in rows.iter_mut().enumerate() {
        r.n = i + 1;
    }
    let mut page = AdminPage::new(state, "Organisations", Some(admin));
    page.notice = notice;
    let mut view = OrganizationsPage {
        page,
        rows,
        new_name: String::new(),
        new_about: String::new(),
        new_errors: Vec::new(),
        max_kib: MAX_ABOUT_BYTES / 1024,
    };
    let status = match refused {
        None => StatusCode::OK,
        Some((f, errors)) => {
            // What was typed comes back where it was typed.
            let name = f.get("organization");
            match view.rows.iter_mut().find(|r| r.name == name) {
                Some(row) => {
                    row.about = f.get("about").to_owned();
                    row.errors = errors;
                }
                None => {
                    view.new_name = name.to_owned();
                    view.new_about = f.get("about").to_owned();
                    view.new_errors = errors;
                }
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    Ok(html_response(status, view.render()?))
}

pub async fn list(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    query: web::Query<OrganizationsQuery>,
) -> Result<HttpResponse, AdminError> {
    let notice = (query.done == "saved")
        .then(|| "Saved. Every page and feed item of its releases shows it now.".to_owned());
    render(&state, &admin, notice, None).await
}

/// Sets (or, when blank, removes) one organisation's boilerplate.
pub async fn save(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    fields: FormFields,
) -> Result<HttpResponse, AdminError> {
    let (name, about) = match validate_about(fields.get("organization"), fields.get("about")) {
        Ok(ok) => ok,
        Err(errors) => return render(&state, &admin, None, Some((fields, errors))).await,
    };
    let now = state.clock.now();
    blocking(&state, move |st| {
        st.store
            .set_organization_about(&name, about.as_deref(), now)
    })
    .await??;
    Ok(see_other(&format!(
        "{}?done=saved",
        url(Name::AdminOrganizations, &[])
    )))
}
