//! The newsroom under `/admin`: sign-in, the release form, the list,
//! retraction and topics.
//!
//! Protection is central, not per handler: the router is built from
//! [`admin_routes`], and one middleware in front of the whole `/admin`
//! scope refuses every state-changing request from a page of another site
//! (`Origin`, `Sec-Fetch-Site`), every request without an open session
//! (unknown paths included; before its body is read) and every
//! state-changing request without the session's CSRF token, before any
//! handler runs. Only the sign-in form is public.

mod error;
mod forms;
mod kept_draft;
pub mod limiter;
mod login;
mod origin;
mod releases;
pub mod session;
mod subscriptions;
mod topics;
pub mod verifier;
mod views;

pub use error::AdminError;
pub use forms::FormFields;
pub use limiter::LoginLimiter;

use crate::http::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, Route, web};
use session::{SessionData, SessionStatus};

pub use crate::config::MAX_FORM_BYTES;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the sign-in form). POSTs still need the CSRF token.
    Public,
    /// A signed-in admin; POSTs need the CSRF token.
    Admin,
    /// Like `Admin`, and the request carries a long text that must survive
    /// an expired session or a stale token (the release form).
    AdminKeepsDraft,
}

/// One route of the newsroom. The router is built from this list, so a
/// test that walks it reaches every route there is.
pub struct AdminRoute {
    pub method: Method,
    /// Full path pattern, e.g. `/admin/releases/{id}/edit`.
    pub path: &'static str,
    pub access: Access,
    attach: fn(Route) -> Route,
}

fn route(
    method: Method,
    path: &'static str,
    access: Access,
    attach: fn(Route) -> Route,
) -> AdminRoute {
    AdminRoute {
        method,
        path,
        access,
        attach,
    }
}

/// Every route under `/admin`.
pub fn admin_routes() -> Vec<AdminRoute> {
    use Access::*;
    let (get, post) = (Method::GET, Method::POST);
    vec![
        route(get.clone(), "/admin", Admin, |r| r.to(releases::list)),
        route(get.clone(), "/admin/login", Public, |r| r.to(login::form)),
        route(post.clone(), "/admin/login", Public, |r| {
            r.to(login::submit)
        }),
        route(post.clone(), "/admin/logout", Admin, |r| {
            r.to(login::logout)
        }),
        route(post.clone(), "/admin/logout-everywhere", Admin, |r| {
            r.to(login::logout_everywhere)
        }),
        route(get.clone(), "/admin/releases/new", Admin, |r| {
            r.to(releases::new_form)
        }),
        route(post.clone(), "/admin/releases/new", AdminKeepsDraft, |r| {
            r.to(releases::create)
        }),
        route(get.clone(), "/admin/releases/{id}/edit", Admin, |r| {
            r.to(releases::edit_form)
        }),
        route(
            post.clone(),
            "/admin/releases/{id}/edit",
            AdminKeepsDraft,
            |r| r.to(releases::update),
        ),
        route(get.clone(), "/admin/releases/{id}/retract", Admin, |r| {
            r.to(releases::retract_form)
        }),
        route(post.clone(), "/admin/releases/{id}/retract", Admin, |r| {
            r.to(releases::retract)
        }),
        route(post.clone(), "/admin/releases/{id}/restore", Admin, |r| {
            r.to(releases::restore)
        }),
        route(get.clone(), "/admin/subscriptions", Admin, |r| {
            r.to(subscriptions::list)
        }),
        route(
            post.clone(),
            "/admin/subscriptions/{id}/remove",
            Admin,
            |r| r.to(subscriptions::remove),
        ),
        route(get, "/admin/topics", Admin, |r| r.to(topics::list)),
        route(post.clone(), "/admin/topics", Admin, |r| {
            r.to(topics::create)
        }),
        route(post.clone(), "/admin/topics/{slug}", Admin, |r| {
            r.to(topics::update)
        }),
        route(post, "/admin/topics/{slug}/delete", Admin, |r| {
            r.to(topics::delete)
        }),
    ]
}

/// Whether `path` fits `pattern`, where `{x}` stands for one segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    let (mut p, mut s) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), s.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) => {
                let wildcard = want.starts_with('{') && want.ends_with('}');
                if (wildcard && got.is_empty()) || (!wildcard && want != got) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The access rule for a request; anything not listed needs an admin.
pub fn access_for(method: &Method, path: &str) -> Access {
    admin_routes()
        .into_iter()
        .find(|r| r.method == *method && path_matches(r.path, path))
        .map_or(Access::Admin, |r| r.access)
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

/// Registers `/admin` (and its stylesheet) on the app.
pub fn configure(cfg: &mut web::ServiceConfig, key: actix_web::cookie::Key, secure_cookie: bool) {
    let routes = admin_routes();
    let mut scope = web::scope("/admin");
    let mut paths: Vec<&'static str> = Vec::new();
    for r in &routes {
        if !paths.contains(&r.path) {
            paths.push(r.path);
        }
    }
    for path in paths {
        let relative = &path["/admin".len()..];
        let mut resource = web::resource(relative);
        for r in routes.iter().filter(|r| r.path == path) {
            resource = resource.route((r.attach)(web::route().method(r.method.clone())));
        }
        scope = scope.service(resource);
    }
    cfg.service(
        scope
            .default_service(web::to(views::not_found))
            .wrap(from_fn(guard))
            .wrap(session::middleware(key, secure_cookie))
            .wrap(from_fn(no_store)),
    )
    .service(
        web::resource("/static/admin.css").route(
            web::route()
                .guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
                .to(views::stylesheet),
        ),
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
    let access = access_for(&method, req.path());
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
        let fields = match forms::read_body(&mut req, MAX_FORM_BYTES).await {
            Ok(f) => f,
            Err(e) => return Ok(req.into_response(e.into_response())),
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        assert!(path_matches(
            "/admin/releases/{id}/edit",
            "/admin/releases/7/edit"
        ));
        assert!(!path_matches(
            "/admin/releases/{id}/edit",
            "/admin/releases//edit"
        ));
        assert!(!path_matches(
            "/admin/releases/{id}/edit",
            "/admin/releases/7/edit/x"
        ));
        assert!(!path_matches("/admin", "/admin/"));
        assert_eq!(access_for(&Method::POST, "/admin/login"), Access::Public);
        assert_eq!(access_for(&Method::GET, "/admin/nope"), Access::Admin);
        assert_eq!(
            access_for(&Method::POST, "/admin/releases/3/edit"),
            Access::AdminKeepsDraft
        );
    }
}
