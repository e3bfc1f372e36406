//! The newsroom under `/admin`: sign-in, the release form, the list,
//! retraction and topics.
//!
//! Protection is central, not per handler: the routes are the route
//! table's (`http::routes`, [`admin_routes`]), and one middleware in front of the whole `/admin`
//! scope refuses every state-changing request from a page of another site
//! (`Origin`, `Sec-Fetch-Site`), every request without an open session
//! (unknown paths included; before its body is read) and every
//! state-changing request without the session's CSRF token, before any
//! handler runs. Only the sign-in form is public.

pub(crate) mod accreditations;
mod error;
mod forms;
mod kept_draft;
pub mod limiter;
pub(crate) mod login;
pub(crate) mod media;
pub(crate) mod organizations;
mod origin;
pub(crate) mod releases;
pub mod session;
pub(crate) mod subscriptions;
pub(crate) mod topics;
mod uploads;
pub mod verifier;
pub(crate) mod views;

pub use error::AdminError;
pub use forms::FormFields;
pub use limiter::LoginLimiter;
pub use releases::edit_from_fields;

use crate::http::AppState;
pub use crate::http::routes::Access;
use crate::http::routes::{self, Area, Verb};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, web};
use session::{SessionData, SessionStatus};

pub use crate::config::MAX_FORM_BYTES;

/// One route of the newsroom, as the route table lists it.
pub struct AdminRoute {
    pub method: Method,
    /// Full path pattern, e.g. `/admin/releases/{id}/edit`.
    pub path: &'static str,
    pub access: Access,
}

/// Every route under `/admin`, from the route table (the router is built
/// from it too, so a test that walks this reaches every route there is).
pub fn admin_routes() -> Vec<AdminRoute> {
    routes::ROUTES
        .iter()
        .filter_map(|r| match r.area {
            Area::Newsroom(access) => Some(AdminRoute {
                method: match r.verb {
                    Verb::Post => Method::POST,
                    Verb::Put => Method::PUT,
                    Verb::Read | Verb::Get => Method::GET,
                },
                path: r.path,
                access,
            }),
            _ => None,
        })
        .collect()
}

/// State of the newsroom shared by all workers.
pub struct AdminState {
    pub limiter: LoginLimiter,
    /// Password checks: one per core at a time (argon2 costs 19 MiB each).
    pub checks: std::sync::Arc<verifier::PasswordChecks>,
}

impl AdminState {
    pub fn new(settings: &crate::config::Settings) -> Self {
        Self {
            limiter: LoginLimiter::new(settings.login_attempts_per_minute),
            checks: std::sync::Arc::new(verifier::PasswordChecks::new(0)),
        }
    }
}

/// Registers `/admin`: the newsroom's `resources` (see `src/router.rs`)
/// behind its guard.
pub fn configure(
    cfg: &mut web::ServiceConfig,
    key: actix_web::cookie::Key,
    secure_cookie: bool,
    resources: Vec<actix_web::Resource>,
) {
    let scope = resources
        .into_iter()
        .fold(web::scope(routes::ADMIN.prefix), |scope, r| {
            scope.service(r)
        });
    cfg.service(
        scope
            .default_service(web::to(views::not_found))
            .wrap(from_fn(guard))
            .wrap(session::middleware(key, secure_cookie))
            .wrap(from_fn(no_store)),
    );
}

/// Identity-dependent pages must never be stored by any cache.
async fn no_store(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let mut res = next.call(req).await?.map_into_boxed_body();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Cookie"));
    Ok(res)
}

/// Who is signed in, put on the request by the guard for handlers to read.
#[derive(Debug, Clone)]
pub struct CurrentAdmin {
    pub id: i64,
    pub username: String,
    pub csrf: String,
}

impl actix_web::FromRequest for CurrentAdmin {
    type Error = AdminError;
    type Future = std::future::Ready<Result<Self, AdminError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<CurrentAdmin>()
                .cloned()
                .ok_or(AdminError::NoSession),
        )
    }
}

fn is_state_changing(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The newsroom's front door; see the module documentation.
async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.into_response(AdminError::Misconfigured.into_response()));
    };
    let method = req.method().clone();
    let access = routes::access_for(&method, req.path());
    let changing = is_state_changing(&method);
    if changing && let Some(why) = origin::cross_site(req.headers(), &state.site.base_url) {
        let res = views::error_page(
            StatusCode::FORBIDDEN,
            &format!(
                "This request was refused because {why}. Nothing was changed. If you sent it \
                 from the newsroom, open {}/admin again and retry.",
                state.site.base_url
            ),
        );
        return Ok(req.into_response(res));
    }
    let session = actix_session::SessionExt::get_session(&req);
    let data = SessionData::read(&session);

    if access == Access::Public {
        if changing {
            let fields = match forms::read_body(&mut req, MAX_FORM_BYTES).await {
                Ok(f) => f,
                Err(e) => return Ok(req.into_response(e.into_response())),
            };
            if !data.csrf_matches(fields.get("csrf")) {
                let res = login::stale_form(&req, &state, &data, fields).await;
                return Ok(req.into_response(res));
            }
            req.extensions_mut().insert(fields);
        }
        return Ok(next.call(req).await?.map_into_boxed_body());
    }

    // Who is asking is settled before any request body is read: a visitor
    // without a session gets its answer without the server holding (up to
    // 2 MiB of) what it sends.
    let now = state.clock.now();
    let status = match session::status(&data, &state, now).await {
        Ok(s) => s,
        Err(e) => return Ok(req.into_response(e.into_response())),
    };
    let active = match status {
        SessionStatus::Active(active) => active,
        _ if !changing => {
            let target = match req.query_string() {
                "" => req.path().to_owned(),
                q => format!("{}?{q}", req.path()),
            };
            let res = crate::http::see_other(&login::login_url(&target));
            return Ok(req.into_response(res));
        }
        SessionStatus::Lapsed { admin_id } => {
            // Nothing is done; a release form's text is kept (see
            // `kept_draft`).
            let rescued = if access == Access::AdminKeepsDraft {
                match kept_draft::rescue(&mut req, &data).await {
                    Ok(f) => f,
                    Err(e) => return Ok(req.into_response(e.into_response())),
                }
            } else {
                None
            };
            let res = login::expired(&req, &state, admin_id, rescued).await;
            return Ok(req.into_response(res));
        }
        SessionStatus::Anonymous => {
            // No session cookie is set here: this may be a page of another
            // site posting without the browser's (SameSite) cookie, and a
            // new cookie would replace a live session.
            return Ok(req.into_response(login::sign_in_first()));
        }
    };
    if changing {
        // The release form may carry files (multipart): they are stored
        // only once its CSRF token has matched (see `uploads`).
        let read = if access == Access::AdminKeepsDraft && uploads::is_multipart(&req) {
            let target = uploads::FileTarget {
                state: &state,
                session: &data,
            };
            uploads::read_multipart(&mut req, MAX_FORM_BYTES, Some(target)).await
        } else {
            forms::read_body(&mut req, MAX_FORM_BYTES)
                .await
                .map(|f| (f, uploads::FormUploads::default()))
        };
        let (fields, files) = match read {
            Ok(f) => f,
            Err(e) => return Ok(req.into_response(e.into_response())),
        };
        req.extensions_mut().insert(files);
        if !data.csrf_matches(fields.get("csrf")) {
            let res = if access == Access::AdminKeepsDraft {
                kept_draft::stale_token(&req, &state, &active.admin, fields).await
            } else {
                views::error_page(
                    StatusCode::FORBIDDEN,
                    "This form was out of date (its security token did not match), so nothing \
                     was changed. Go back, reload the page and try again.",
                )
            };
            return Ok(req.into_response(res));
        }
        req.extensions_mut().insert(fields);
    }
    if let Err(e) = session::touch(&active, &state, now).await {
        return Ok(req.into_response(e.into_response()));
    }
    req.extensions_mut().insert(active.admin);
    Ok(next.call(req).await?.map_into_boxed_body())
}
