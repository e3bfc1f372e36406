//! `GET` and `PUT /api/v1/organizations`: each organisation's "About"
//! boilerplate (README "Press-release furniture"), as the newsroom's
//! Organisations page edits it. The name travels in the body, not the
//! path, so any name a release carries (slashes included) can be set.

use super::{ApiError, FieldError};
use crate::domain::furniture::validate_about;
use crate::http::AppState;
use crate::http::blocking;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Organization {
    organization: String,
    /// Markdown; absent when none is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    about: Option<String>,
    /// How many releases name it.
    releases: i64,
}

#[derive(Serialize)]
struct ListBody {
    organizations: Vec<Organization>,
}

/// `GET /api/v1/organizations`: every organisation a release names or that
/// has boilerplate, by name.
pub(crate) async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let listed = blocking(&state, |st| st.store.organizations()).await??;
    Ok(HttpResponse::Ok().json(ListBody {
        organizations: listed
            .into_iter()
            .map(|o| Organization {
                organization: o.name,
                about: o.about,
                releases: o.releases,
            })
            .collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBody {
    organization: String,
    /// Blank, null or absent removes the boilerplate.
    #[serde(default)]
    about: Option<String>,
}

#[derive(Serialize)]
struct Saved {
    organization: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    about: Option<String>,
    /// Whether anything changed (every feed's validators move when it does).
    changed: bool,
}

/// `PUT /api/v1/organizations`: sets or removes one organisation's
/// boilerplate; 422 naming the field when it is refused, nothing stored.
pub(crate) async fn put(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: SetBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be one JSON object {{\"organization\": NAME, \"about\": MARKDOWN}}: {e}"
        ))
    })?;
    let (name, about) = validate_about(&body.organization, body.about.as_deref().unwrap_or(""))
        .map_err(|errs| {
            ApiError::Invalid(
                errs.into_iter()
                    .map(|e| FieldError {
                        field: e.field.to_owned(),
                        message: e.message,
                    })
                    .collect(),
            )
        })?;
    let now = state.clock.now();
    let (name2, about2) = (name.clone(), about.clone());
    let changed = blocking(&state, move |st| {
        st.store
            .set_organization_about(&name2, about2.as_deref(), now)
    })
    .await??;
    Ok(HttpResponse::Ok().json(Saved {
        organization: name,
        about,
        changed,
    }))
}
