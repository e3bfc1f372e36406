//! Small answers every part of the site gives the same way (HTML,
//! redirects, stylesheets), and the one way handlers run blocking work.

use super::AppState;
use actix_web::error::BlockingError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};

/// An HTML page; the caller adds its own `Cache-Control`.
pub fn html_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .body(body)
}

/// `303 See Other`: after a form, the browser loads `location` with a GET,
/// so a reload does not post the form again.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A stylesheet compiled into the binary.
pub fn css(body: &'static str, cache_control: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        ))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        ))
        .body(body)
}

/// Runs blocking work (SQLite, a password hash) on actix's thread pool, so
/// the async workers keep serving meanwhile. The outer error is the pool's
/// (shutting down); the inner one is the work's own.
pub async fn blocking<T: Send + 'static>(
    state: &web::Data<AppState>,
    f: impl FnOnce(&AppState) -> T + Send + 'static,
) -> Result<T, BlockingError> {
    let st = web::Data::clone(state);
    web::block(move || f(&st)).await
}
