//! Every failure a handler can return, mapped to an HTTP answer in one place:
//! [`Failure`] is the one mapping from library errors to a status (and what
//! the client may be told); the public pages ([`AppError`]), the newsroom
//! (`AdminError`) and the API (`ApiError`) each wrap it in their own body.

use crate::service::WriteError;
use crate::store::{StoreError, Unavailable};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

/// How a failure of the library answers over HTTP, whichever body (public
/// page, newsroom page, JSON) carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub status: StatusCode,
    /// What the client may be told about the cause (disk trouble, say);
    /// `None`: nothing beyond the status (the cause goes to the log).
    pub reason: Option<&'static str>,
}

impl Failure {
    /// Every worker thread busy (`web::block` refused or lost the job).
    pub const BUSY: Failure = Failure {
        status: StatusCode::SERVICE_UNAVAILABLE,
        reason: None,
    };
    /// A fault of ours: a template, a hashing library.
    pub const INTERNAL: Failure = Failure {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        reason: None,
    };

    /// The disk or the database file (full: 507, other trouble: 503, with
    /// the reason); anything else the store reports is our fault (500).
    pub fn of_store(e: &StoreError) -> Self {
        match e.unavailable() {
            Some(why) => Failure {
                status: match why {
                    Unavailable::Full => StatusCode::INSUFFICIENT_STORAGE,
                    _ => StatusCode::SERVICE_UNAVAILABLE,
                },
                reason: Some(why.message()),
            },
            None => Self::INTERNAL,
        }
    }

    /// A write the service refused or could not do. The writer's mistakes
    /// are 4xx; a password hash that could not be made is ours (500).
    pub fn of_write(e: &WriteError) -> Self {
        let status = match e {
            WriteError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WriteError::NotFound => StatusCode::NOT_FOUND,
            WriteError::Exists(_) => StatusCode::CONFLICT,
            WriteError::Store(e) => return Self::of_store(e),
            WriteError::Hash(_) => return Self::INTERNAL,
        };
        Failure {
            status,
            reason: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the server is busy: {0}")]
    Blocking(#[from] actix_web::error::BlockingError),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Store(e) => Failure::of_store(e).status,
            AppError::Blocking(_) => Failure::BUSY.status,
            AppError::Template(_) => Failure::INTERNAL.status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if matches!(self, AppError::Store(_)) {
            metrics::counter!("pressfeed_database_errors_total").increment(1);
        }
        if status.is_server_error() {
            // The cause goes to the log, never to the client.
            tracing::error!(error = %self, "request failed");
        }
        let message = public_message(crate::i18n::Ui::for_lang("en", "en"), status, None);
        error_page(status, &message)
    }
}

/// Marks a response as one of [`error_page`]'s, so the public site can
/// put it in the site's language ([`html_errors`]).
#[derive(Clone, Copy)]
struct ErrorPageMark;

/// A small self-contained HTML error page (in English: the newsroom's and
/// the API's language; public pages get theirs in [`html_errors`]).
pub fn error_page(status: StatusCode, message: &str) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    ));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
    }
    res.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    let mut res = res.body(error_html(
        crate::i18n::Ui::for_lang("en", "en"),
        status,
        message,
    ));
    res.extensions_mut().insert(ErrorPageMark);
    res
}

fn error_html(ui: &crate::i18n::Ui, status: StatusCode, message: &str) -> String {
    let reason = status.canonical_reason().unwrap_or("Error");
    format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{code} {reason}</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><main class=\"page\"><h1>{code} {reason}</h1><p>{message}</p>\
         <p><a href=\"{home}\">{latest}</a></p></main></body></html>",
        lang = ui.lang(),
        dir = ui.dir(),
        code = status.as_u16(),
        css = super::routes::href(super::routes::Name::Stylesheet),
        home = super::routes::href(super::routes::Name::Home),
        message = crate::feeds::escape_html(message),
        latest = crate::feeds::escape_html(&ui.t("latest-releases")),
    )
}

/// What a public error page says, in the interface `ui`: `detail` is what
/// actix said of a request it could not read.
fn public_message(ui: &crate::i18n::Ui, status: StatusCode, detail: Option<&str>) -> String {
    match status {
        StatusCode::NOT_FOUND => ui.t("error-not-found"),
        StatusCode::PAYLOAD_TOO_LARGE => ui.t("error-too-large"),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::INSUFFICIENT_STORAGE => {
            ui.t("error-unavailable")
        }
        s if s.is_client_error() => match detail {
            Some(d) => ui.t1("error-unreadable", "detail", d),
            None => ui.t("error-bad-request"),
        },
        _ => ui.t("error-server"),
    }
}

/// The status and message of an error answer actix made itself, as plain
/// text, before any of our handlers ran: a query or path its extractor
/// could not read, a body over the size limit. `None` for every other
/// answer (ours carry HTML or JSON).
pub fn plain_text_error<B>(res: &ServiceResponse<B>) -> Option<(StatusCode, String)> {
    let error = res.response().error()?;
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    plain.then(|| (res.status(), error.to_string()))
}

/// Middleware: actix's own plain-text errors become the site's HTML error
/// page, so a reader (or an admin following a bad link) sees the same page
/// as for every other error; and outside the newsroom and the API, every
/// error page speaks the site's language (`site_lang`). The API scope turns
/// actix's errors into its JSON errors before they get here.
pub async fn html_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let ui = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .filter(|_| {
            let path = req.path();
            ![super::routes::ADMIN.prefix, super::routes::API.prefix]
                .iter()
                .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        })
        .map(|state| super::release_view::site_ui(state));
    let res = next.call(req).await?;
    if let Some((status, detail)) = plain_text_error(&res) {
        let ui = ui.unwrap_or_else(|| crate::i18n::Ui::for_lang("en", "en"));
        let message = public_message(ui, status, Some(&detail));
        let (req, _) = res.into_parts();
        let mut page = error_page(status, &message);
        if ui.lang() != "en" {
            page = page.set_body(BoxBody::new(error_html(ui, status, &message)));
        }
        return Ok(ServiceResponse::new(req, page.map_into_boxed_body()));
    }
    match ui {
        Some(ui)
            if ui.lang() != "en" && res.response().extensions().contains::<ErrorPageMark>() =>
        {
            let status = res.status();
            let body = error_html(ui, status, &public_message(ui, status, None));
            Ok(res.map_body(|_, _| BoxBody::new(body)))
        }
        _ => Ok(res.map_into_boxed_body()),
    }
}
