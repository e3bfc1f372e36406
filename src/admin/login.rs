//! Sign-in and sign-out, with the failed-attempt limit, and the sign-in
//! page that carries an unsaved release across an expired session.

use super::forms::FormFields;
use super::session::{self, SessionData};
use super::views::{AdminPage, see_other};
use super::{AdminError, AdminState, CurrentAdmin, credentials, html_response};
use crate::http::AppState;
use actix_session::{Session, SessionExt};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

/// Form fields of a kept draft travel under this prefix.
const DRAFT_PREFIX: &str = "draft.";

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    page: AdminPage,
    next: String,
    username: String,
    error: Option<String>,
    /// Hidden fields (names already prefixed) of a kept draft.
    stash: Vec<(String, String)>,
}

pub fn login_url(next: &str) -> String {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    format!("/admin/login?{q}")
}

/// Only newsroom paths are followed after sign-in (no open redirect).
fn safe_next(next: &str) -> String {
    let ok = (next == "/admin" || next.starts_with("/admin/") || next.starts_with("/admin?"))
        && !next.contains("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ok {
        next.to_owned()
    } else {
        "/admin".to_owned()
    }
}

/// What a sign-in page shows besides the form.
#[derive(Default)]
struct LoginView<'a> {
    csrf: String,
    next: &'a str,
    username: &'a str,
    error: Option<String>,
    stash: Vec<(String, String)>,
    notice: Option<String>,
}

fn render(state: &AppState, status: StatusCode, v: LoginView<'_>) -> HttpResponse {
    let mut page = AdminPage::new(state, "Sign in", None);
    page.csrf = v.csrf;
    page.notice = v.notice;
    page.alert = status == StatusCode::FORBIDDEN;
    let body = LoginPage {
        page,
        next: safe_next(v.next),
        username: v.username.to_owned(),
        error: v.error,
        stash: v.stash,
    }
    .render();
    match body {
        Ok(b) => html_response(status, b),
        Err(e) => AdminError::from(e).into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

pub async fn form(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let csrf = session::csrf_token(&session);
    render(
        &state,
        StatusCode::OK,
        LoginView {
            csrf,
            next: &query.next,
            ..Default::default()
        },
    )
}

fn stash_of(fields: &FormFields) -> Vec<(String, String)> {
    fields
        .with_prefix(DRAFT_PREFIX)
        .0
        .into_iter()
        .map(|(k, v)| (format!("{DRAFT_PREFIX}{k}"), v))
        .collect()
}

/// The client address used for the per-client limit: the peer, or behind
/// a trusted proxy the address it appended last to `X-Forwarded-For`.
fn client_ip(req: &HttpRequest, behind_proxy: bool) -> String {
    if behind_proxy
        && let Some(last) = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .last()
    {
        return last.to_owned();
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin_state: web::Data<AdminState>,
    session: Session,
    fields: FormFields,
) -> Result<HttpResponse, AdminError> {
    let now = state.clock.now();
    let next = fields.get("next").to_owned();
    let typed = fields.get("username").to_owned();
    let username = credentials::parse_username(&typed).unwrap_or_default();
    let password = fields.get("password").to_owned();
    let stash = stash_of(&fields);
    let keys = vec![
        format!("account:{username}"),
        format!("client:{}", client_ip(&req, state.settings.trust_proxy)),
    ];
    let csrf = session::csrf_token(&session);
    if let Some(wait) = admin_state.limiter.check(&keys, now) {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut res = render(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            LoginView {
                csrf,
                next: &next,
                username: &typed,
                error: Some(format!(
                    "Too many failed sign-ins. Wait {secs} seconds, then try again."
                )),
                stash,
                notice: None,
            },
        );
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&secs.max(1).to_string())
                .unwrap_or_else(|_| HeaderValue::from_static("60")),
        );
        return Ok(res);
    }
    let st = state.clone();
    let account = web::block(move || -> Result<_, AdminError> {
        let account = if username.is_empty() {
            None
        } else {
            st.store.admin_by_username(&username)?
        };
        let ok = credentials::verify_password(
            &password,
            account.as_ref().map(|a| a.password_hash.as_str()),
        );
        Ok(account.filter(|_| ok))
    })
    .await??;
    let Some(account) = account else {
        admin_state.limiter.charge(&keys, now);
        tracing::info!(username = %typed, "failed sign-in");
        // 401 (the form again, with the message): a script or a password
        // manager can tell a refusal from a page that merely asks.
        return Ok(render(
            &state,
            StatusCode::UNAUTHORIZED,
            LoginView {
                csrf,
                next: &next,
                username: &typed,
                error: Some("The username or password is wrong.".to_owned()),
                stash,
                notice: None,
            },
        ));
    };
    let csrf = session::sign_in(&session, &account, now);
    tracing::info!(username = %account.username, "signed in");
    let admin = CurrentAdmin {
        id: account.id,
        username: account.username,
        csrf,
    };
    let draft = fields.with_prefix(DRAFT_PREFIX);
    let next = safe_next(&next);
    if !draft.is_empty()
        && let Some(res) = super::releases::resume_draft(&state, &admin, &next, draft).await
    {
        return Ok(res);
    }
    Ok(see_other(&next))
}

pub async fn logout(session: Session) -> HttpResponse {
    session::sign_out(&session);
    see_other("/admin/login")
}

/// A sign-in form whose CSRF token no longer matches (the anonymous
/// session expired): show a fresh one, keeping any draft it carried.
pub async fn stale_form(
    req: &actix_web::dev::ServiceRequest,
    state: &web::Data<AppState>,
    fields: FormFields,
) -> HttpResponse {
    // The session itself stays as it was: a refused POST changes nothing.
    let csrf = session::csrf_token(&req.get_session());
    render(
        state,
        StatusCode::FORBIDDEN,
        LoginView {
            csrf,
            next: fields.get("next"),
            username: fields.get("username"),
            error: Some("This sign-in form had expired. Please sign in again.".to_owned()),
            stash: stash_of(&fields),
            notice: None,
        },
    )
}

/// A POST without a valid session: nothing is done; the sign-in page
/// keeps the release text (`keep_draft`) to bring the admin back to it.
pub async fn expired(
    req: &actix_web::dev::ServiceRequest,
    state: &web::Data<AppState>,
    fields: FormFields,
    keep_draft: bool,
) -> HttpResponse {
    let had_session = SessionData::read(&req.get_session()).uid.is_some();
    let csrf = session::restart_anonymous(&req.get_session());
    let (next, stash, notice) = if keep_draft {
        let stash = fields
            .0
            .into_iter()
            .filter(|(k, _)| k != "csrf")
            .map(|(k, v)| (format!("{DRAFT_PREFIX}{k}"), v))
            .collect();
        (
            req.path().to_owned(),
            stash,
            "Your session has ended, so nothing was saved yet. Your text is kept: sign in \
             and you will be back at the form.",
        )
    } else {
        (
            "/admin".to_owned(),
            Vec::new(),
            "Your session has ended, so nothing was changed. Please sign in again.",
        )
    };
    let notice = if had_session || keep_draft {
        notice.to_owned()
    } else {
        "Please sign in.".to_owned()
    };
    render(
        state,
        StatusCode::FORBIDDEN,
        LoginView {
            csrf,
            next: &next,
            stash,
            notice: Some(notice),
            ..Default::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_newsroom_paths_are_followed() {
        assert_eq!(
            safe_next("/admin/releases/3/edit"),
            "/admin/releases/3/edit"
        );
        assert_eq!(safe_next("/admin?status=draft"), "/admin?status=draft");
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/admin//x",
            "/adminx",
            "/\\evil",
        ] {
            assert_eq!(safe_next(bad), "/admin", "{bad}");
        }
    }
}
