//! Sign-in and sign-out, with the failed-attempt limit, and the sign-in
//! page that carries an unsaved release across an expired session.

use super::forms::FormFields;
use super::limiter::Admission;
use super::session::{self, SessionData};
use super::verifier::Busy;
use super::views::AdminPage;
use super::{AdminError, AdminState, CurrentAdmin, kept_draft};
use crate::http::routes::{ADMIN, Name, url};
use crate::http::{AppState, html_response, see_other};
use actix_session::{Session, SessionExt};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use std::time::Duration;

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
    format!("{}?{q}", url(Name::LoginForm, &[]))
}

/// Only newsroom paths are followed after sign-in (no open redirect).
fn safe_next(next: &str) -> String {
    let home = ADMIN.prefix;
    let ok = next
        .strip_prefix(home)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
        && !next.contains("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ok {
        next.to_owned()
    } else {
        url(Name::AdminHome, &[])
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
    let username = crate::authentication::parse_username(&typed).unwrap_or_default();
    let password = fields.get("password").to_owned();
    // A draft rides along only on a sign-in page made for a lapsed session
    // of the admin who typed it (see `expired`).
    let data = SessionData::read(&session);
    let rescue = data.rescue;
    let stash = kept_draft::stash_again(&data, &fields);
    let address = crate::http::client_ip(&req, state.settings.trust_proxy).to_string();
    let csrf = session::csrf_token(&session);
    let refuse = |wait: Duration, why: &str| {
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let mut res = render(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            LoginView {
                csrf: csrf.clone(),
                next: &next,
                username: &typed,
                error: Some(why.replace("{secs}", &secs.to_string())),
                stash: stash.clone(),
                notice: None,
            },
        );
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&secs.to_string())
                .unwrap_or_else(|_| HeaderValue::from_static("60")),
        );
        res
    };
    let limiter = &admin_state.limiter;
    let spent = match limiter.admit(&username, &address, now) {
        Admission::Wait(wait) => {
            return Ok(refuse(
                wait,
                "Too many failed sign-ins. Wait {secs} seconds, then try again.",
            ));
        }
        Admission::Go { delay, spent } => {
            if !delay.is_zero() {
                actix_web::rt::time::sleep(delay).await;
            }
            spent
        }
    };
    let st = state.clone();
    let checked = admin_state
        .checks
        .run(move |verify| -> Result<_, AdminError> {
            let account = if username.is_empty() {
                None
            } else {
                st.store.admin_by_username(&username)?
            };
            let ok = verify.password(
                &password,
                account.as_ref().map(|a| a.password_hash.as_str()),
            );
            Ok(account.filter(|_| ok))
        })
        .await;
    let account = match checked {
        Ok(Ok(Ok(account))) => account,
        Err(Busy) => {
            limiter.refund(spent, now);
            return Ok(refuse(
                Duration::from_secs(1),
                "The server is busy checking other sign-ins. Wait {secs} seconds, then try again.",
            ));
        }
        Ok(Err(e)) => {
            limiter.refund(spent, now);
            return Err(e.into());
        }
        Ok(Ok(Err(e))) => {
            limiter.refund(spent, now);
            return Err(e);
        }
    };
    let Some(account) = account else {
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
    limiter.refund(spent, now);
    let csrf = session::sign_in(&session, &state, &account, now).await?;
    tracing::info!(username = %account.username, "signed in");
    let admin = CurrentAdmin {
        id: account.id,
        username: account.username,
        csrf,
    };
    let next = safe_next(&next);
    if let Some(res) =
        kept_draft::resume_after_sign_in(&state, &admin, rescue, &next, &fields).await
    {
        return Ok(res);
    }
    Ok(see_other(&next))
}

pub async fn logout(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AdminError> {
    session::sign_out(&session, &state, state.clock.now()).await?;
    Ok(see_other(&url(Name::LoginForm, &[])))
}

/// Ends every session of the signed-in admin, on every device.
pub async fn logout_everywhere(
    state: web::Data<AppState>,
    session: Session,
    admin: CurrentAdmin,
) -> Result<HttpResponse, AdminError> {
    let n = session::sign_out_everywhere(&session, &state, admin.id, state.clock.now()).await?;
    tracing::info!(username = %admin.username, sessions = n, "signed out everywhere");
    Ok(see_other(&url(Name::LoginForm, &[])))
}

/// A POST to the newsroom with no session at all: nothing is done, no
/// body is read and no cookie is set (see the guard).
pub fn sign_in_first() -> HttpResponse {
    super::views::error_page(
        StatusCode::FORBIDDEN,
        "You are not signed in, so nothing was changed. Sign in at /admin/login first.",
    )
}

/// A sign-in form whose CSRF token no longer matches (the anonymous
/// session expired): show a fresh one, keeping a draft it carried only when
/// this browser's session was marked for that rescue.
pub async fn stale_form(
    req: &actix_web::dev::ServiceRequest,
    state: &web::Data<AppState>,
    data: &SessionData,
    fields: FormFields,
) -> HttpResponse {
    // The session itself stays as it was: a refused POST changes nothing.
    let csrf = session::csrf_token(&req.get_session());
    let stash = kept_draft::stash_again(data, &fields);
    render(
        state,
        StatusCode::FORBIDDEN,
        LoginView {
            csrf,
            next: fields.get("next"),
            username: fields.get("username"),
            error: Some("This sign-in form had expired. Please sign in again.".to_owned()),
            stash,
            notice: None,
        },
    )
}

/// A POST whose session (of `admin_id`) was ended or ran out: nothing is
/// done; a release form's text (`rescued`, already checked to carry the
/// session's CSRF token) travels with the sign-in page to bring the admin
/// back to it.
pub async fn expired(
    req: &actix_web::dev::ServiceRequest,
    state: &web::Data<AppState>,
    admin_id: i64,
    rescued: Option<FormFields>,
) -> HttpResponse {
    let csrf = session::restart_anonymous(&req.get_session(), rescued.as_ref().map(|_| admin_id));
    let (next, stash, notice) = match rescued {
        Some(fields) => (
            req.path().to_owned(),
            kept_draft::stash_rescued(fields),
            "Your session has ended, so nothing was saved yet. Your text is kept: sign in \
             and you will be back at the form.",
        ),
        None => (
            url(Name::AdminHome, &[]),
            Vec::new(),
            "Your session has ended, so nothing was changed. Please sign in again.",
        ),
    };
    render(
        state,
        StatusCode::FORBIDDEN,
        LoginView {
            csrf,
            next: &next,
            stash,
            notice: Some(notice.to_owned()),
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
