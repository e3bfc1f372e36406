//! Headers that protect what a browser shows: on every response that has
//! content. Public pages run no script at all.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use super::AppState;

const HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
];

/// Under an https base URL: browsers use only https for the site for a
/// year after any answer (RFC 6797), so a later plain-http link or a
/// network attacker cannot downgrade a sign-in.
const HSTS: &str = "max-age=31536000";

/// Middleware: adds [`HEADERS`] (and [`HSTS`] under https) unless the
/// handler set its own, and not to a 304. A 304 has no content to protect; RFC 9110 §15.4.5 asks it to
/// repeat only what caches need, and a cache keeps the stored response's
/// other fields. Pollers receive 304s by the million, so they stay small.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.is_https());
    let mut res = next.call(req).await?;
    if res.status() != StatusCode::NOT_MODIFIED {
        let headers = res.headers_mut();
        for (name, value) in HEADERS {
            if !headers.contains_key(&name) {
                headers.insert(name, HeaderValue::from_static(value));
            }
        }
        if https {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
    }
    Ok(res)
}
