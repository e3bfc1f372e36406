//! How readers find the hubs: `Link` headers on every feed response, and
//! the same links inside the feeds (`src/feeds/`).

use crate::config::Settings;
use actix_web::http::header::{self, HeaderMap, HeaderValue};

/// The hubs every feed advertises: the built-in one (unless
/// `websub_builtin = false`), then the public ones of `websub_hubs`.
pub fn hub_urls(settings: &Settings) -> Vec<String> {
    let mut hubs = Vec::new();
    if settings.websub_builtin {
        hubs.push(format!(
            "{}{}",
            settings.base_url(),
            crate::http::routes::href(crate::http::routes::Name::Hub)
        ));
    }
    hubs.extend(settings.websub_hubs.iter().cloned());
    hubs
}

/// Adds `Link: <hub>; rel="hub"` for each hub and `Link: <feed>; rel="self"`.
pub fn add_links(headers: &mut HeaderMap, hubs: &[String], self_url: &str) {
    for hub in hubs {
        if let Ok(v) = HeaderValue::from_str(&format!("<{hub}>; rel=\"hub\"")) {
            headers.append(header::LINK, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&format!("<{self_url}>; rel=\"self\"")) {
        headers.append(header::LINK, v);
    }
}
