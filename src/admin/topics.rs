//! Topics: create, rename (the slug and feed URLs stay), describe, and
//! delete when no release uses them.

use super::forms::FormFields;
use super::views::AdminPage;
use super::{AdminError, CurrentAdmin};
use crate::domain::ValidationError;
use crate::http::AppState;
use crate::http::blocking;
use crate::http::routes::{Name, url};
use crate::http::{html_response, see_other};
use crate::service::{self, WriteError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub struct TopicRow {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub releases: i64,
    /// Readers cannot see it yet (`Store::public_topics`).
    pub hidden: bool,
    /// Messages for this row's form, when it was just refused.
    pub errors: Vec<ValidationError>,
}

#[derive(Template)]
#[template(path = "admin/topics.html")]
struct TopicsPage {
    page: AdminPage,
    rows: Vec<TopicRow>,
    new_name: String,
    new_slug: String,
    new_description: String,
    new_errors: Vec<ValidationError>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TopicsQuery {
    #[serde(default)]
    done: String,
}

/// A refused form, shown again with what was typed.
enum Refused {
    New(FormFields, Vec<ValidationError>),
    Row(String, FormFields, Vec<ValidationError>),
}

async fn render(
    state: &web::Data<AppState>,
    admin: &CurrentAdmin,
    notice: Option<String>,
    refused: Option<Refused>,
) -> Result<HttpResponse, AdminError> {
    let now = state.clock.now();
    let usage = blocking(state, move |st| st.store.topic_usage(now)).await??;
    let mut rows: Vec<TopicRow> = usage
        .into_iter()
        .map(|u| TopicRow {
            slug: u.topic.slug,
            name: u.topic.name,
            description: u.topic.description.unwrap_or_default(),
            releases: u.releases,
            hidden: !u.public,
            errors: Vec::new(),
        })
        .collect();
    let mut page = AdminPage::new(state, "Topics", Some(admin));
    page.notice = notice;
    let mut view = TopicsPage {
        page,
        rows: Vec::new(),
        new_name: String::new(),
        new_slug: String::new(),
        new_description: String::new(),
        new_errors: Vec::new(),
    };
    let status = match refused {
        None => StatusCode::OK,
        Some(Refused::New(f, errors)) => {
            view.new_name = f.get("name").to_owned();
            view.new_slug = f.get("slug").to_owned();
            view.new_description = f.get("description").to_owned();
            view.new_errors = errors;
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Some(Refused::Row(slug, f, errors)) => {
            if let Some(row) = rows.iter_mut().find(|r| r.slug == slug) {
                if !f.get("name").is_empty() || !f.get("description").is_empty() {
                    row.name = f.get("name").to_owned();
                    row.description = f.get("description").to_owned();
                }
                row.errors = errors;
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    view.rows = rows;
    Ok(html_response(status, view.render()?))
}

fn done_message(done: &str) -> Option<String> {
    let m = match done {
        "created" => "Topic created.",
        "saved" => "Topic saved. Its address and feed URLs are unchanged.",
        "deleted" => "Topic deleted.",
        _ => return None,
    };
    Some(m.to_owned())
}

pub async fn list(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    query: web::Query<TopicsQuery>,
) -> Result<HttpResponse, AdminError> {
    render(&state, &admin, done_message(&query.done), None).await
}

pub async fn create(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    fields: FormFields,
) -> Result<HttpResponse, AdminError> {
    let now = state.clock.now();
    let f = fields.clone();
    let result = blocking(&state, move |st| {
        service::create_topic(
            &st.store,
            f.get("name"),
            f.get("slug"),
            f.get("description"),
            now,
        )
    })
    .await?;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "{}?done=created",
            url(Name::AdminTopics, &[])
        ))),
        Err(WriteError::Invalid(errors)) => {
            render(&state, &admin, None, Some(Refused::New(fields, errors))).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn update(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    slug: web::Path<String>,
    fields: FormFields,
) -> Result<HttpResponse, AdminError> {
    let slug = slug.into_inner();
    let now = state.clock.now();
    let (s, f) = (slug.clone(), fields.clone());
    let result = blocking(&state, move |st| {
        service::update_topic(&st.store, &s, f.get("name"), f.get("description"), now)
    })
    .await?;
    match result {
        Ok(()) => Ok(see_other(&format!(
            "{}?done=saved",
            url(Name::AdminTopics, &[])
        ))),
        Err(WriteError::Invalid(errors)) => {
            render(
                &state,
                &admin,
                None,
                Some(Refused::Row(slug, fields, errors)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    state: web::Data<AppState>,
    admin: CurrentAdmin,
    slug: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let slug = slug.into_inner();
    let now = state.clock.now();
    let s = slug.clone();
    let result = blocking(&state, move |st| service::delete_topic(&st.store, &s, now)).await?;
    match result {
        Ok(()) => Ok(see_other(&format!(
            "{}?done=deleted",
            url(Name::AdminTopics, &[])
        ))),
        Err(WriteError::Invalid(errors)) => {
            let refused = Refused::Row(slug, FormFields::default(), errors);
            render(&state, &admin, None, Some(refused)).await
        }
        Err(e) => Err(e.into()),
    }
}
