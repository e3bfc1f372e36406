//! The automation API under `/api/v1`: JSON in the import format, bearer
//! tokens made with `pressfeed create-token`. As with the newsroom, the
//! routes are the route table's (`http::routes`, [`api_routes`]) and one middleware in front of the
//! whole scope refuses every request without a valid token (401), unknown
//! paths included, before any handler runs.

pub mod media;
pub mod organizations;

use crate::domain::ReleaseInput;
use crate::domain::State;
use crate::http::AppState;
use crate::http::blocking;
use crate::http::error::Failure;
use crate::http::list_filter::ListFilter;
use crate::http::routes::{self, Area, Verb};
use crate::model::{Release, SaveOutcome};
use crate::service::{self, ApiWrite, WriteError};
use crate::store::StoreError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use serde::{Deserialize, Serialize};

/// Largest JSON body accepted.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// One route of the API, as the route table lists it.
pub struct ApiRoute {
    pub method: Method,
    /// Full path pattern, e.g. `/api/v1/releases/{slug}`.
    pub path: &'static str,
}

/// Every route under `/api/v1`, from the route table.
pub fn api_routes() -> Vec<ApiRoute> {
    routes::ROUTES
        .iter()
        .filter(|r| r.area == Area::Api)
        .map(|r| ApiRoute {
            method: match r.verb {
                Verb::Post => Method::POST,
                Verb::Put => Method::PUT,
                Verb::Read | Verb::Get => Method::GET,
            },
            path: r.path,
        })
        .collect()
}

/// Registers `/api/v1`: the API's `resources` (see `src/router.rs`) behind
/// the token guard.
pub fn configure(cfg: &mut web::ServiceConfig, resources: Vec<actix_web::Resource>) {
    let scope = resources
        .into_iter()
        .fold(web::scope(routes::API.prefix), |scope, r| scope.service(r));
    cfg.service(
        scope
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .default_service(web::to(|| async { ApiError::NotFound.error_response() }))
            .wrap(from_fn(bearer_guard))
            .wrap(from_fn(json_errors)),
    );
}

/// The token a request was made with.
#[derive(Debug, Clone)]
pub struct ApiClient {
    pub token_name: String,
}

#[derive(Debug, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("the release is invalid")]
    Invalid(Vec<FieldError>),
    /// A list query's parameters out of range or not numbers.
    #[error("the query is invalid")]
    InvalidQuery(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A write that failed on our side (not the request's fault).
    #[error(transparent)]
    Write(WriteError),
    #[error("the server is busy: {0}")]
    Blocking(#[from] actix_web::error::BlockingError),
    /// Refused by actix before a handler ran (a body over the limit, a
    /// query it could not read), with actix's status and reason.
    #[error("{1}")]
    Rejected(StatusCode, String),
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Invalid(errs) => ApiError::Invalid(
                errs.into_iter()
                    .map(|e| FieldError {
                        field: e.field.to_owned(),
                        message: e.message,
                    })
                    .collect(),
            ),
            WriteError::NotFound => ApiError::NotFound,
            WriteError::Exists(what) => ApiError::Conflict(format!(
                "{what} already exists; PUT /api/v1/releases/{{slug}} updates it"
            )),
            WriteError::Store(e) => ApiError::Store(e),
            other @ WriteError::Hash(_) => ApiError::Write(other),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) | ApiError::InvalidQuery(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Store(e) => Failure::of_store(e).status,
            ApiError::Write(e) => Failure::of_write(e).status,
            ApiError::Blocking(_) => Failure::BUSY.status,
            ApiError::Rejected(status, _) => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "API request failed");
        }
        let reason = match self {
            ApiError::Store(e) => Failure::of_store(e).reason,
            _ => None,
        };
        let message = match reason {
            // Disk trouble: say what it is (full, read-only), never the internals.
            Some(why) => why.to_owned(),
            None if status.is_server_error() => {
                "the server could not complete the request".to_owned()
            }
            None => self.to_string(),
        };
        let errors = match self {
            ApiError::Invalid(e) | ApiError::InvalidQuery(e) => Some(e.as_slice()),
            _ => None,
        };
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if status == StatusCode::UNAUTHORIZED {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"pressfeed\""),
            ));
        }
        res.json(ErrorBody {
            error: &message,
            errors,
        })
    }
}

fn bearer_token(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// Every `/api/v1` request needs an active token.
async fn bearer_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(state), Some(token)) = (state, bearer_token(&req)) else {
        return Ok(req.into_response(ApiError::Unauthorized.error_response()));
    };
    let now = state.clock.now();
    let digest = crate::authentication::token_digest(&token);
    let found = blocking(&state, move |st| st.store.use_token(&digest, now)).await;
    let client = match found {
        Ok(Ok(Some(t))) => ApiClient { token_name: t.name },
        Ok(Ok(None)) => return Ok(req.into_response(ApiError::Unauthorized.error_response())),
        Ok(Err(e)) => return Ok(req.into_response(ApiError::from(e).error_response())),
        Err(e) => return Ok(req.into_response(ApiError::from(e).error_response())),
    };
    req.extensions_mut().insert(client);
    let mut res = next.call(req).await?.map_into_boxed_body();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// actix's own plain-text errors (413 over the body limit, an unreadable
/// query) answered as every other API error: JSON.
async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some((status, detail)) = crate::http::error::plain_text_error(&res) else {
        return Ok(res.map_into_boxed_body());
    };
    let (req, _) = res.into_parts();
    let error = ApiError::Rejected(status, detail).error_response();
    Ok(ServiceResponse::new(req, error))
}

/// A release as the API returns it: the import format, plus where it
/// stands now and its public URL.
#[derive(Serialize)]
pub struct ApiRelease {
    #[serde(flatten)]
    pub release: ReleaseInput,
    /// draft, scheduled, published or retracted.
    pub state: &'static str,
    pub url: String,
}

fn api_release(state: &AppState, r: Release) -> ApiRelease {
    let now = state.clock.now();
    ApiRelease {
        state: r.state(now).as_str(),
        url: state.site.release_url(&r.slug),
        release: r.into_input(),
    }
}

/// The list's paging, besides its filters ([`ListFilter`]).
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Read as text so that `-1` or `abc` gets the same 422 as a number
    /// out of range, naming the field, not serde's query error.
    #[serde(default)]
    limit: Option<String>,
    #[serde(default)]
    offset: Option<String>,
}

/// Most releases one list answer holds.
const MAX_LIMIT: usize = 500;
/// Largest `offset`: far beyond any newsroom, and well inside SQLite's
/// 64-bit OFFSET (a larger one used to wrap to -1, "no offset").
const MAX_OFFSET: usize = 1_000_000_000;

/// `limit` (default 50) and `offset` (default 0), each in its range.
fn page_range(
    limit: Option<&str>,
    offset: Option<&str>,
) -> Result<(usize, usize), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut in_range = |field: &str, typed: Option<&str>, default, min, max| {
        let Some(typed) = typed else {
            return default;
        };
        match typed.trim().parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                errors.push(FieldError {
                    field: field.into(),
                    message: format!("{typed:?} is not a whole number from {min} to {max}"),
                });
                default
            }
        }
    };
    let limit = in_range("limit", limit, 50, 1, MAX_LIMIT);
    let offset = in_range("offset", offset, 0, 0, MAX_OFFSET);
    if errors.is_empty() {
        Ok((limit, offset))
    } else {
        Err(errors)
    }
}

#[derive(Serialize)]
struct ListBody {
    total: i64,
    releases: Vec<ApiRelease>,
}

/// `GET /api/v1/releases?status=draft|scheduled|published|retracted`
pub(crate) async fn list(
    state: web::Data<AppState>,
    filter: web::Query<ListFilter>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (f, q) = (filter.into_inner(), query.into_inner());
    let status = match f.status.as_str() {
        "" => None,
        s => Some(State::parse(s).ok_or_else(|| {
            ApiError::Invalid(vec![FieldError {
                field: "status".into(),
                message: format!("{s:?} is not one of draft, scheduled, published, retracted"),
            }])
        })?),
    };
    let (limit, offset) =
        page_range(q.limit.as_deref(), q.offset.as_deref()).map_err(ApiError::InvalidQuery)?;
    let filter = f.with_status(status);
    let now = state.clock.now();
    let (items, total) = blocking(&state, move |st| {
        st.store.list_releases(&filter, now, limit, offset)
    })
    .await??;
    Ok(HttpResponse::Ok().json(ListBody {
        total,
        releases: items.into_iter().map(|r| api_release(&state, r)).collect(),
    }))
}

/// `GET /api/v1/releases/{slug}`, drafts included.
pub(crate) async fn show(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let r = blocking(&state, move |st| st.store.release_by_slug(&slug))
        .await??
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(api_release(&state, r)))
}

/// The backquoted name in a serde message such as "missing field `title`".
fn quoted_name(message: &str) -> Option<&str> {
    message.split('`').nth(1)
}

/// Adds a field's first error; later ones about the same field add nothing.
fn note(errors: &mut Vec<FieldError>, field: &str, message: String) {
    if !errors.iter().any(|e| e.field == field) {
        errors.push(FieldError {
            field: field.to_owned(),
            message,
        });
    }
}

/// At most this many rounds of reading a body again (each removes or
/// replaces one bad field), whatever the body holds.
const MAX_FIELD_ERRORS: usize = 64;

/// Parses a body in the import format; `slug` is filled from the URL for PUT.
/// Every bad field is reported, as the newsroom form does: serde stops at
/// the first problem, so each one found is noted, that field is set aside,
/// the body is read again, and at the end the release rules run on what is
/// left for the fields serde had no complaint about.
fn parse_input(body: &[u8], path_slug: Option<&str>) -> Result<ReleaseInput, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let serde_json::Value::Object(mut object) = value else {
        return Err(ApiError::BadRequest(
            "the body must be one JSON object in the import format".into(),
        ));
    };
    if let Some(slug) = path_slug {
        object
            .entry("slug")
            .or_insert_with(|| serde_json::Value::String(slug.to_owned()));
    }
    let mut errors: Vec<FieldError> = Vec::new();
    let mut rounds = 0;
    let input = loop {
        let attempt = serde_json::Value::Object(object.clone());
        let e = match serde_path_to_error::deserialize::<_, ReleaseInput>(&attempt) {
            Ok(input) => break input,
            Err(e) => e,
        };
        rounds += 1;
        let message = e.inner().to_string();
        if message.starts_with("missing field")
            && let Some(field) = quoted_name(&message)
        {
            note(&mut errors, field, format!("{field} is required"));
            object.insert(field.to_owned(), serde_json::Value::String(String::new()));
        } else if message.starts_with("unknown field")
            && let Some(field) = quoted_name(&message)
        {
            note(&mut errors, field, message.clone());
            object.remove(field);
        } else {
            let field = e.path().iter().find_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            });
            let Some(field) = field else {
                return Err(ApiError::BadRequest(message));
            };
            note(&mut errors, &field, message);
            // Try an empty text, then an empty list, then nothing at all.
            let next = match object.get(&field) {
                Some(serde_json::Value::String(s)) if s.is_empty() => {
                    Some(serde_json::Value::Array(Vec::new()))
                }
                Some(serde_json::Value::Array(a)) if a.is_empty() => None,
                _ => Some(serde_json::Value::String(String::new())),
            };
            match next {
                Some(v) => object.insert(field, v),
                None => object.remove(&field),
            };
        }
        if rounds >= MAX_FIELD_ERRORS {
            return Err(ApiError::Invalid(errors));
        }
    };
    if errors.is_empty() {
        return Ok(input);
    }
    if let Err(more) = input.validate() {
        for e in more {
            note(&mut errors, e.field, e.message);
        }
    }
    Err(ApiError::Invalid(errors))
}

async fn write(
    state: web::Data<AppState>,
    input: ReleaseInput,
    mode: ApiWrite,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let authority = state.tag_authority.clone();
    let (outcome, release) = blocking(&state, move |st| {
        service::save_api_release(&st.store, &input, &mode, now, &authority)
    })
    .await??;
    let location = state
        .site
        .url(&routes::url(routes::Name::ApiShow, &[&release.slug]));
    let mut res = match outcome {
        SaveOutcome::Created => HttpResponse::Created(),
        SaveOutcome::Updated | SaveOutcome::Unchanged => HttpResponse::Ok(),
    };
    Ok(res
        .insert_header((header::LOCATION, location))
        .json(api_release(&state, release)))
}

/// The query of a write: `?create_topics=true` lets a release name topics
/// that do not exist yet, which are then created (at most
/// [`service::MAX_NEW_TOPICS`]); without it an unknown topic is a 422.
#[derive(Debug, Deserialize)]
pub struct WriteQuery {
    #[serde(default)]
    create_topics: bool,
}

/// `POST /api/v1/releases`: a new release (409 when the slug exists).
pub(crate) async fn create(
    state: web::Data<AppState>,
    query: web::Query<WriteQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = parse_input(&body, None)?;
    let mode = ApiWrite::Create {
        create_topics: query.create_topics,
    };
    write(state, input, mode).await
}

/// `PUT /api/v1/releases/{slug}`: creates or replaces that release.
pub(crate) async fn put(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<WriteQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let input = parse_input(&body, Some(&slug))?;
    let mode = ApiWrite::Put {
        slug,
        create_topics: query.create_topics,
    };
    write(state, input, mode).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One mapping: the public pages, the newsroom and the API answer each
    /// library failure with the same status (each in its own body).
    #[test]
    fn every_error_type_maps_library_failures_to_the_same_status() {
        use crate::admin::AdminError;
        use crate::authentication::HashError;
        use crate::http::error::AppError;
        let sqlite = |code| {
            StoreError::from(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ))
        };
        let cases = [
            (rusqlite::ffi::SQLITE_FULL, StatusCode::INSUFFICIENT_STORAGE),
            (
                rusqlite::ffi::SQLITE_READONLY,
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (rusqlite::ffi::SQLITE_BUSY, StatusCode::SERVICE_UNAVAILABLE),
            (rusqlite::ffi::SQLITE_IOERR, StatusCode::SERVICE_UNAVAILABLE),
            (
                rusqlite::ffi::SQLITE_CORRUPT,
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (code, status) in cases {
            let answers = [
                AppError::Store(sqlite(code)).status_code(),
                AdminError::Store(sqlite(code)).status_code(),
                AdminError::Write(WriteError::Store(sqlite(code))).status_code(),
                ApiError::Store(sqlite(code)).status_code(),
                ApiError::from(WriteError::Store(sqlite(code))).status_code(),
            ];
            assert_eq!(answers, [status; 5], "{code}");
        }
        // A password hash that could not be made is the server's fault, not
        // the request's: 500 everywhere (the API answered 400 before).
        let hash = || WriteError::Hash(HashError("argon2 refused".into()));
        assert_eq!(
            ApiError::from(hash()).status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            AdminError::Write(hash()).status_code(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let refusals: [fn() -> WriteError; 3] = [
            || WriteError::NotFound,
            || WriteError::Exists("release \"a\"".into()),
            || WriteError::Invalid(vec![crate::domain::ValidationError::new("slug", "x")]),
        ];
        for make in refusals {
            let (e, want) = (make(), Failure::of_write(&make()).status);
            assert!(want.is_client_error(), "{e:?}");
            assert_eq!(AdminError::Write(make()).status_code(), want, "{e:?}");
            assert_eq!(ApiError::from(e).status_code(), want);
        }
    }

    #[test]
    fn serde_errors_name_their_field() {
        let e = parse_input(br#"{"slug":"a"}"#, None).unwrap_err();
        match e {
            ApiError::Invalid(errs) => assert_eq!(errs[0].field, "title"),
            other => panic!("{other:?}"),
        }
        let e = parse_input(br#"{"slug":"a","nope":1}"#, None).unwrap_err();
        match e {
            ApiError::Invalid(errs) => assert_eq!(errs[0].field, "nope"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_input(b"[1]", None),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn every_bad_field_is_listed_once() {
        let e = parse_input(
            br#"{"slug":"Bad Slug","title":7,"topics":"x","lang":"en","published_at":"soon","nope":1}"#,
            None,
        )
        .unwrap_err();
        let ApiError::Invalid(errs) = e else {
            panic!("{e:?}")
        };
        let mut fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "body_html",
                "nope",
                "organization",
                "published_at",
                "slug",
                "title",
                "topics"
            ]
        );
    }
}
